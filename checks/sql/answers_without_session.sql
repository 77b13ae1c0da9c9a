-- Answers whose session does not exist (a lost session row, or a write past the foreign key).
SELECT a.session_id, a.question_id, a.answered_at
FROM session_answers a
LEFT JOIN test_sessions s ON s.id = a.session_id
WHERE s.id IS NULL
