-- The bot's own tables: users and their preferences and access, invite codes, the uploads the
-- bot made (status message, Telegram file_unique_id, title and notes), and full-text search
-- over transcripts in Russian and English.
CREATE TABLE bot_users (
    user_id            bigint      PRIMARY KEY,
    interface_language text        CHECK (interface_language IN ('ru', 'en')),
    recording_language text        NOT NULL DEFAULT 'auto',
    scenario           text,
    access             text        NOT NULL DEFAULT 'none'
                       CHECK (access IN ('none', 'allowed', 'revoked')),
    invite_code        text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE bot_invites (
    code        text        PRIMARY KEY,
    uses_left   integer     NOT NULL CHECK (uses_left >= 0),
    created_by  bigint,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per object the bot uploaded; recordings join it by object key.
CREATE TABLE bot_uploads (
    object_key        text        PRIMARY KEY,
    user_id           bigint      NOT NULL,
    chat_id           bigint      NOT NULL,
    status_message_id bigint,
    file_unique_id    text,
    title             text,
    notes             text,
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX bot_uploads_user_file ON bot_uploads (user_id, file_unique_id)
    WHERE file_unique_id IS NOT NULL;

-- Stemmed in both languages: users search Russian and English transcripts alike.
ALTER TABLE recordings ADD COLUMN transcript_search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('russian'::regconfig, coalesce(original_name, '')), 'A')
    || setweight(to_tsvector('english'::regconfig, coalesce(original_name, '')), 'A')
    || to_tsvector('russian'::regconfig, coalesce(transcript_text, ''))
    || to_tsvector('english'::regconfig, coalesce(transcript_text, ''))
) STORED;

CREATE INDEX recordings_transcript_search ON recordings USING gin (transcript_search);
