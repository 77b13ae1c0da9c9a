-- Answers to a question that is not in their session's question list.
-- guaranteed-by: none (session_answers has no foreign key to session_questions)
-- Only answers whose session exists: an orphan answer is answers_without_session's.
SELECT a.session_id, a.question_id, a.answered_at
FROM session_answers a
JOIN test_sessions s ON s.id = a.session_id
LEFT JOIN session_questions q ON q.session_id = a.session_id AND q.question_id = a.question_id
WHERE q.session_id IS NULL
