-- More than one ACTIVE session for one user in one mode.
-- guaranteed-by: none (no unique index on (user_id, mode) WHERE status = 'ACTIVE')
-- There is no exam id on test_sessions: a user holds at most one open session per mode.
SELECT user_id, mode, count(*) AS active_sessions, string_agg(id::text, ', ' ORDER BY started_at, id) AS sessions
FROM test_sessions
WHERE status = 'ACTIVE'
GROUP BY user_id, mode
HAVING count(*) > 1
