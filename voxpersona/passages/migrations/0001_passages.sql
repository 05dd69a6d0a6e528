-- Passages: a recording's transcript cut into 20–60 s passages, each with its embedding, for
-- semantic search and cited answers. Owned by voxpersona.passages (every write goes through it).
-- Written to be applied more than once (IF NOT EXISTS / OR REPLACE): see schema.py.

-- What is indexed per recording: the model, the transcript fingerprint and when.
CREATE TABLE IF NOT EXISTS passage_recordings (
    recording_id  uuid        PRIMARY KEY REFERENCES recordings (id) ON DELETE CASCADE,
    user_id       bigint      NOT NULL,
    model_id      text        NOT NULL,
    dim           integer     NOT NULL CHECK (dim >= 0),
    fingerprint   text        NOT NULL,
    passage_count integer     NOT NULL CHECK (passage_count >= 0),
    indexed_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS passage_recordings_user ON passage_recordings (user_id, model_id);

CREATE TABLE IF NOT EXISTS passages (
    recording_id  uuid             NOT NULL
                  REFERENCES passage_recordings (recording_id) ON DELETE CASCADE,
    seq           integer          NOT NULL,
    user_id       bigint           NOT NULL,
    start_seconds double precision NOT NULL,
    end_seconds   double precision NOT NULL,
    speaker       text,
    text          text             NOT NULL,
    model_id      text             NOT NULL,
    dim           integer          NOT NULL,
    -- float32 little-endian, L2-normalised: the exact scan's input on any PostgreSQL.
    embedding     bytea            NOT NULL CHECK (length(embedding) = 4 * dim),
    -- Stemmed in both languages, like recordings.transcript_search.
    text_search   tsvector GENERATED ALWAYS AS (
                      to_tsvector('russian'::regconfig, text)
                      || to_tsvector('english'::regconfig, text)) STORED,
    PRIMARY KEY (recording_id, seq)
);

-- Every search starts with the user (and the model): never a scan across users.
CREATE INDEX IF NOT EXISTS passages_user_model ON passages (user_id, model_id);
CREATE INDEX IF NOT EXISTS passages_text_search ON passages USING gin (text_search);

-- A generation per user, bumped by every insert or delete of their passages (cascades from a
-- deleted recording included), so a process caching a user's vectors knows when to reload.
CREATE SEQUENCE IF NOT EXISTS passage_generation;

CREATE TABLE IF NOT EXISTS passage_users (
    user_id    bigint PRIMARY KEY,
    generation bigint NOT NULL
);

CREATE OR REPLACE FUNCTION passages_touch_users() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO passage_users (user_id, generation)
    SELECT changed_users.user_id, nextval('passage_generation')
    FROM (SELECT DISTINCT user_id FROM changed) AS changed_users
    ON CONFLICT (user_id) DO UPDATE SET generation = EXCLUDED.generation;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER passages_inserted AFTER INSERT ON passages
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION passages_touch_users();
CREATE OR REPLACE TRIGGER passages_deleted AFTER DELETE ON passages
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION passages_touch_users();
