-- Attempt events whose session does not exist.
-- guaranteed-by: foreign key attempt_events.session_id -> test_sessions
-- Events with no session_id at all are not tied to a session and are left alone.
SELECT e.id AS event_id, e.event_type, e.session_id
FROM attempt_events e
LEFT JOIN test_sessions s ON s.id = e.session_id
WHERE e.session_id IS NOT NULL AND s.id IS NULL
