-- SUBMITTED or EXPIRED sessions with fewer answer rows than total_questions.
-- guaranteed-by: none (nothing in the schema ties the number of answer rows to total_questions)
-- Both statuses are labels of the session_status enum, so the comparison is valid.
SELECT s.id AS session_id, s.status, s.total_questions, count(a.question_id) AS answers
FROM test_sessions s
LEFT JOIN session_answers a ON a.session_id = s.id
WHERE s.status IN ('SUBMITTED', 'EXPIRED')
GROUP BY s.id, s.status, s.total_questions
HAVING count(a.question_id) < s.total_questions
