-- The exam platform's schema, as far as examday looks at it (see shared/PLATFORM.md).
-- Idempotent: applied on every backend start by `python -m app.migrate`,
-- which holds a PostgreSQL advisory lock so concurrent starts cannot collide.
-- gen_random_uuid() is built into PostgreSQL 13+.

CREATE TABLE IF NOT EXISTS users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    username      text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    role          text NOT NULL DEFAULT 'STUDENT' CHECK (role IN ('STUDENT', 'ADMIN')),
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS auth_tokens (
    token_hash text PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX IF NOT EXISTS auth_tokens_user_idx ON auth_tokens (user_id);

CREATE TABLE IF NOT EXISTS exams (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code             text NOT NULL UNIQUE,
    title            text NOT NULL,
    duration_seconds integer NOT NULL CHECK (duration_seconds > 0),
    question_count   integer NOT NULL
);

CREATE TABLE IF NOT EXISTS questions (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    exam_id       uuid NOT NULL REFERENCES exams (id),
    position      integer NOT NULL,
    prompt        text NOT NULL,
    options       jsonb NOT NULL,
    correct_index integer NOT NULL,
    UNIQUE (exam_id, position)
);

CREATE TABLE IF NOT EXISTS test_sessions (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id            uuid NOT NULL REFERENCES users (id),
    exam_id            uuid NOT NULL REFERENCES exams (id),
    mode               text NOT NULL DEFAULT 'EXAM' CHECK (mode IN ('EXAM', 'TUTOR')),
    status             text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'SUBMITTED', 'EXPIRED')),
    total_questions    integer NOT NULL,
    started_at         timestamptz NOT NULL DEFAULT now(),
    submitted_at       timestamptz,
    expires_at         timestamptz NOT NULL,
    duration_seconds   integer NOT NULL,
    score_correct      integer,
    score_total        integer,
    score_pct          numeric(5, 2),
    exam_mode_at_start boolean NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
-- Never two ACTIVE sessions for one user and exam; the API resumes instead.
CREATE UNIQUE INDEX IF NOT EXISTS test_sessions_one_active_idx
    ON test_sessions (user_id, exam_id) WHERE status = 'ACTIVE';
CREATE INDEX IF NOT EXISTS test_sessions_user_idx ON test_sessions (user_id);
CREATE INDEX IF NOT EXISTS test_sessions_status_idx ON test_sessions (status);

CREATE TABLE IF NOT EXISTS session_questions (
    session_id  uuid NOT NULL REFERENCES test_sessions (id),
    position    integer NOT NULL,
    question_id uuid NOT NULL REFERENCES questions (id),
    UNIQUE (session_id, position),
    UNIQUE (session_id, question_id)
);

CREATE TABLE IF NOT EXISTS session_answers (
    session_id        uuid NOT NULL REFERENCES test_sessions (id),
    question_id       uuid NOT NULL,
    selected_index    integer,
    is_correct        boolean NOT NULL DEFAULT false,
    answered_at       timestamptz,
    changed_count     integer NOT NULL DEFAULT 0,
    marked_for_review boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (session_id, question_id)
);

CREATE TABLE IF NOT EXISTS attempt_events (
    id           bigserial PRIMARY KEY,
    event_type   text NOT NULL,
    event_ts     timestamptz NOT NULL DEFAULT now(),
    client_ts    timestamptz,
    seq          integer NOT NULL DEFAULT 0,
    session_id   uuid REFERENCES test_sessions (id),
    user_id      uuid,
    question_id  uuid,
    payload_json jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX IF NOT EXISTS attempt_events_session_idx ON attempt_events (session_id, seq);
CREATE INDEX IF NOT EXISTS attempt_events_type_idx ON attempt_events (event_type);

-- Runtime switches. EXAM_MODE is deliberately NOT inserted: without a row the
-- env var decides (the legacy fallback); with a row, the row wins.
CREATE TABLE IF NOT EXISTS system_flags (
    key        text PRIMARY KEY,
    value      boolean NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text,
    reason     text
);

-- Written by the scheduler's recalculation job (and the admin recompute).
CREATE TABLE IF NOT EXISTS exam_stats (
    exam_id            uuid PRIMARY KEY REFERENCES exams (id),
    sessions_submitted integer NOT NULL DEFAULT 0,
    mean_score         numeric(5, 2),
    recalculated_at    timestamptz NOT NULL DEFAULT now()
);

-- The schema migration version other tools read, as Alembic would leave it.
CREATE TABLE IF NOT EXISTS alembic_version (
    version_num varchar(32) PRIMARY KEY
);
