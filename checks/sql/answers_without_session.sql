-- Answers whose session does not exist (a lost session row, or a write past the foreign key).
-- guaranteed-by: foreign key session_answers.session_id -> test_sessions
-- guaranteed-by: not null session_answers.session_id
-- The foreign key alone lets a NULL session_id through; NOT NULL closes that. Both are
-- bypassed by writes with session_replication_role = replica (the sandbox's orphan-answers fault).
SELECT a.session_id, a.question_id, a.answered_at
FROM session_answers a
LEFT JOIN test_sessions s ON s.id = a.session_id
WHERE s.id IS NULL
