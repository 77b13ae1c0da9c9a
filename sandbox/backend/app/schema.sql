-- The exam platform's schema as PLATFORM.md describes it ("Data model").
-- Applied once on a fresh database by `python -m app.migrate` (under an advisory lock),
-- which then stamps alembic_version with schema_version.txt. A database stamped with
-- another version is refused by the migrator; `examday sandbox up` recreates such a
-- volume (its seeded data is disposable).
-- gen_random_uuid() is built into PostgreSQL 13+.

DO $$ BEGIN
    CREATE TYPE session_mode AS ENUM ('TUTOR', 'EXAM');
EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN
    CREATE TYPE session_status AS ENUM ('ACTIVE', 'SUBMITTED', 'EXPIRED');
EXCEPTION WHEN duplicate_object THEN NULL; END $$;

CREATE TABLE IF NOT EXISTS users (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email          varchar(255) NOT NULL UNIQUE,
    password_hash  varchar(255) NOT NULL,
    role           varchar(20) NOT NULL DEFAULT 'STUDENT',  -- STUDENT | ADMIN | REVIEWER (not an enum)
    email_verified boolean NOT NULL DEFAULT false,
    full_name      varchar(255),
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- The question bank.
CREATE TABLE IF NOT EXISTS questions (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    year          smallint NOT NULL CHECK (year IN (1, 2)),
    block         varchar(10) NOT NULL,
    theme         varchar(100),
    difficulty    varchar(20),
    cognitive     varchar(20),
    stem          text NOT NULL,
    options       jsonb NOT NULL,
    correct_index smallint NOT NULL CHECK (correct_index BETWEEN 0 AND 4),
    current_version integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS questions_year_block_idx ON questions (year, block);

CREATE TABLE IF NOT EXISTS question_versions (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    question_id   uuid NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    version       integer NOT NULL,
    snapshot_json jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (question_id, version)
);

-- No exam id, and no "one ACTIVE session per user" index: nothing stops a second one.
CREATE TABLE IF NOT EXISTS test_sessions (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id                 uuid NOT NULL REFERENCES users (id),
    mode                    session_mode NOT NULL,
    status                  session_status NOT NULL DEFAULT 'ACTIVE',
    year                    smallint NOT NULL,
    blocks_json             jsonb NOT NULL,
    themes_json             jsonb,
    total_questions         integer NOT NULL,
    started_at              timestamptz NOT NULL DEFAULT now(),
    submitted_at            timestamptz,
    duration_seconds        integer,
    expires_at              timestamptz,
    score_correct           integer,
    score_total             integer,
    score_pct               numeric(5, 2),
    exam_mode_at_start      boolean NOT NULL DEFAULT false,
    freeze_updates_at_start boolean NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    -- EXPIRED is not covered: an EXPIRED session without submitted_at is allowed.
    CONSTRAINT test_sessions_submitted_at_check CHECK (status <> 'SUBMITTED' OR submitted_at IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS test_sessions_user_idx ON test_sessions (user_id);
CREATE INDEX IF NOT EXISTS test_sessions_status_idx ON test_sessions (status);

CREATE TABLE IF NOT EXISTS session_questions (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id          uuid NOT NULL REFERENCES test_sessions (id) ON DELETE CASCADE,
    position            integer NOT NULL,
    question_id         uuid NOT NULL REFERENCES questions (id),
    question_version_id uuid REFERENCES question_versions (id),
    snapshot_json       jsonb,
    UNIQUE (session_id, position),
    UNIQUE (session_id, question_id)
);

-- No foreign key to session_questions: an answer can name a question not in its session.
CREATE TABLE IF NOT EXISTS session_answers (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id        uuid NOT NULL REFERENCES test_sessions (id) ON DELETE CASCADE,
    question_id       uuid NOT NULL,
    selected_index    smallint CHECK (selected_index IS NULL OR selected_index BETWEEN 0 AND 4),
    is_correct        boolean,
    answered_at       timestamptz,
    changed_count     integer NOT NULL DEFAULT 0,
    marked_for_review boolean NOT NULL DEFAULT false,
    UNIQUE (session_id, question_id)
);

CREATE TABLE IF NOT EXISTS attempt_events (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_version integer NOT NULL DEFAULT 1,
    event_type    varchar(50) NOT NULL,
    event_ts      timestamptz NOT NULL DEFAULT now(),
    client_ts     timestamptz,
    seq           integer,
    session_id    uuid NOT NULL REFERENCES test_sessions (id) ON DELETE CASCADE,
    user_id       uuid NOT NULL,
    question_id   uuid,
    payload_json  jsonb NOT NULL DEFAULT '{}'::jsonb,
    source        varchar(20) NOT NULL DEFAULT 'api'
);
CREATE INDEX IF NOT EXISTS attempt_events_session_idx ON attempt_events (session_id, event_ts);
CREATE INDEX IF NOT EXISTS attempt_events_type_idx ON attempt_events (event_type);

-- Append-only: UPDATE and DELETE raise (so a session with events cannot be deleted either:
-- the cascade's DELETE raises too).
CREATE OR REPLACE FUNCTION attempt_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'attempt_events is append-only: % refused', TG_OP;
END $$;
DROP TRIGGER IF EXISTS attempt_events_no_update_delete ON attempt_events;
CREATE TRIGGER attempt_events_no_update_delete BEFORE UPDATE OR DELETE ON attempt_events
    FOR EACH ROW EXECUTE FUNCTION attempt_events_append_only();

CREATE TABLE IF NOT EXISTS system_flags (
    key        varchar(100) PRIMARY KEY,
    value      boolean NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid REFERENCES users (id) ON DELETE SET NULL,
    reason     text
);
INSERT INTO system_flags (key, value, reason) VALUES
    ('EXAM_MODE', false, 'initial'),
    ('FREEZE_UPDATES', false, 'initial')
ON CONFLICT (key) DO NOTHING;

CREATE TABLE IF NOT EXISTS alembic_version (
    version_num varchar(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
