-- The bot's delivery journal: one row per part of a result Telegram confirmed, written as soon
-- as it did, so a redelivered result (after a crash, a 429, a network or database error) skips
-- the parts its user already has. ``run`` is the result's run id ('' for the first run): a
-- forced re-run delivers again.
CREATE TABLE bot_deliveries (
    recording_id uuid        NOT NULL,
    run          text        NOT NULL DEFAULT '',
    part         text        NOT NULL,
    chat_id      bigint      NOT NULL,
    message_id   bigint,
    sent_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (recording_id, run, part)
);
