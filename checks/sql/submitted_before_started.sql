-- Sessions submitted before they started.
SELECT id AS session_id, started_at, submitted_at
FROM test_sessions
WHERE submitted_at < started_at
