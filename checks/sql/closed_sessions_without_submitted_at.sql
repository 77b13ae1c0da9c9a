-- SUBMITTED or EXPIRED sessions with no submitted_at.
-- guaranteed-by: check test_sessions status <> 'SUBMITTED' OR submitted_at IS NOT NULL
-- not-covered: EXPIRED sessions without submitted_at (the CHECK names SUBMITTED only)
SELECT id AS session_id, status
FROM test_sessions
WHERE status IN ('SUBMITTED', 'EXPIRED') AND submitted_at IS NULL
