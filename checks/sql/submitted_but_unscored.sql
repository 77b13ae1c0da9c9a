-- Closed sessions without a score.
SELECT id AS session_id, status, submitted_at
FROM test_sessions
WHERE status IN ('SUBMITTED', 'EXPIRED')
  AND (score_correct IS NULL OR score_total IS NULL OR score_pct IS NULL)
