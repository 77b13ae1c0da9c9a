-- Answers saved after their session was submitted (beyond a 2 s grace).
-- guaranteed-by: none (nothing in the schema compares answered_at with submitted_at)
-- answered_at is when the kept choice was saved (session_answers has no updated_at). The
-- grace absorbs an answer and a submit racing in the same instant from two requests.
SELECT a.session_id, a.question_id, a.answered_at, s.submitted_at
FROM session_answers a
JOIN test_sessions s ON s.id = a.session_id
WHERE s.submitted_at IS NOT NULL
  AND a.answered_at > s.submitted_at + interval '2 seconds'
