-- The daily audio quota is charged an estimate at upload (documents carry no duration) and
-- settled to the real duration once the recording is transcribed: charged_seconds is what
-- bot_usage was charged for this upload, settled_at when the real duration replaced it.
ALTER TABLE bot_uploads
    ADD COLUMN charged_seconds double precision,
    ADD COLUMN settled_at      timestamptz;
