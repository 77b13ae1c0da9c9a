-- Answers changed after their session was submitted (beyond a 2 s grace).
SELECT a.session_id, a.question_id, a.updated_at, s.submitted_at
FROM session_answers a
JOIN test_sessions s ON s.id = a.session_id
WHERE s.submitted_at IS NOT NULL
  AND a.updated_at > s.submitted_at + interval '2 seconds'
