-- Recordings: one row per distinct object version (bucket + key + eTag).
CREATE TABLE recordings (
    id                   uuid PRIMARY KEY,
    bucket               text        NOT NULL,
    object_key           text        NOT NULL,
    etag                 text        NOT NULL,
    version_id           text,
    sequencer            text,
    user_id              bigint      NOT NULL,
    chat_id              bigint      NOT NULL,
    message_id           bigint,
    original_name        text,
    content_type         text,
    size_bytes           bigint,
    duration_seconds     double precision,
    status               text        NOT NULL DEFAULT 'processing'
                         CHECK (status IN ('processing', 'done', 'failed')),
    failure_code         text,
    failure_reason       text,
    attempts             integer     NOT NULL DEFAULT 0,
    lease_owner          text,
    lease_until          timestamptz,
    transcript_text      text,
    transcript_segments  jsonb,
    transcript_language  text,
    transcription_engine text,
    transcription_model  text,
    result_key           text,
    audio_state          text        NOT NULL DEFAULT 'present'
                         CHECK (audio_state IN ('present', 'deleted', 'expired')),
    audio_removed_at     timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    completed_at         timestamptz,
    notified_at          timestamptz,
    CONSTRAINT recordings_object_version UNIQUE (bucket, object_key, etag)
);

CREATE INDEX recordings_user_created ON recordings (user_id, created_at DESC);
CREATE INDEX recordings_object ON recordings (bucket, object_key);
CREATE INDEX recordings_status ON recordings (status) WHERE status <> 'done';
