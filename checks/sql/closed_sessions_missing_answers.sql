-- SUBMITTED or EXPIRED sessions with fewer answer rows than questions.
SELECT s.id AS session_id, s.status, s.total_questions, count(a.question_id) AS answers
FROM test_sessions s
LEFT JOIN session_answers a ON a.session_id = s.id
WHERE s.status IN ('SUBMITTED', 'EXPIRED')
GROUP BY s.id, s.status, s.total_questions
HAVING count(a.question_id) < s.total_questions
