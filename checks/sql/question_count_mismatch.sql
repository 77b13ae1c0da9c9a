-- Sessions whose question list does not match total_questions.
SELECT s.id AS session_id, s.total_questions, count(q.question_id) AS questions
FROM test_sessions s
LEFT JOIN session_questions q ON q.session_id = s.id
GROUP BY s.id, s.total_questions
HAVING count(q.question_id) <> s.total_questions
