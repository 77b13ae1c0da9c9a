-- Sessions whose question list does not have total_questions questions.
-- guaranteed-by: none (nothing ties session_questions to total_questions)
-- The answer side of "question/answer count mismatch" is judged by the two answer
-- invariants: with unique (session_id, question_id) on session_answers, more answers than
-- questions means answers_to_questions_not_in_session; fewer, closed_sessions_missing_answers.
SELECT s.id AS session_id, s.status, s.total_questions, count(q.question_id) AS questions
FROM test_sessions s
LEFT JOIN session_questions q ON q.session_id = s.id
GROUP BY s.id, s.status, s.total_questions
HAVING count(q.question_id) <> s.total_questions
