-- Sessions with more than one SESSION_SUBMITTED event (submit must be idempotent).
-- guaranteed-by: none (no unique index on attempt_events: idempotency lives in the submit handler)
SELECT session_id, count(*) AS submitted_events
FROM attempt_events
WHERE event_type = 'SESSION_SUBMITTED'
GROUP BY session_id
HAVING count(*) > 1
