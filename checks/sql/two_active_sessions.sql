-- More than one ACTIVE session per user and exam.
SELECT user_id, exam_id, count(*) AS active_sessions
FROM test_sessions
WHERE status = 'ACTIVE'
GROUP BY user_id, exam_id
HAVING count(*) > 1
