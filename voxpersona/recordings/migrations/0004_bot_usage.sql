-- Fair use: recordings and audio seconds per user and UTC day. Kept when recordings are
-- deleted (it holds no content), so deleting does not refill a quota.
CREATE TABLE bot_usage (
    user_id       bigint           NOT NULL,
    day           date             NOT NULL,
    recordings    integer          NOT NULL DEFAULT 0,
    audio_seconds double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, day)
);
