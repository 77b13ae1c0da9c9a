-- SUBMITTED or EXPIRED sessions without a score (score_correct or score_total missing).
-- guaranteed-by: none (the scores are nullable and no CHECK ties them to the status)
-- As the platform's own verify-data-integrity.sql: score_pct is derived and not required.
SELECT id AS session_id, status, submitted_at, score_correct, score_total
FROM test_sessions
WHERE status IN ('SUBMITTED', 'EXPIRED')
  AND (score_correct IS NULL OR score_total IS NULL)
