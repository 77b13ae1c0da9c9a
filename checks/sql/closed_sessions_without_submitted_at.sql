-- SUBMITTED or EXPIRED sessions with no submitted_at.
SELECT id AS session_id, status
FROM test_sessions
WHERE status IN ('SUBMITTED', 'EXPIRED') AND submitted_at IS NULL
