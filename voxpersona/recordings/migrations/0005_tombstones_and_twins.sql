-- Nothing lost, nothing twice.
-- The same Telegram file sent twice by one user is transcribed once: the later recording
-- points at the earlier one (its twin) and takes over its transcript.
ALTER TABLE recordings
    ADD COLUMN file_unique_id text,
    ADD COLUMN twin_of        uuid;

CREATE INDEX recordings_user_file ON recordings (user_id, file_unique_id)
    WHERE file_unique_id IS NOT NULL;

-- A deleted recording is never recreated by an event still in flight for it.
CREATE TABLE recording_tombstones (
    recording_id uuid        PRIMARY KEY,
    user_id      bigint      NOT NULL,
    object_key   text        NOT NULL,
    deleted_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX recording_tombstones_object ON recording_tombstones (object_key);

-- A user's "delete all": events of objects stored at or before purged_at are dropped.
CREATE TABLE recording_purges (
    user_id   bigint      PRIMARY KEY,
    purged_at timestamptz NOT NULL
);
