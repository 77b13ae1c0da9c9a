-- Sessions submitted before they started.
-- guaranteed-by: none (no CHECK compares submitted_at with started_at)
SELECT id AS session_id, status, started_at, submitted_at
FROM test_sessions
WHERE submitted_at < started_at
