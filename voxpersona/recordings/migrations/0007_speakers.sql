-- Speakers: who said what. Each segment in transcript_segments may carry "speaker" (1, 2, …);
-- the recording says how many speakers were found, by which model and method, and the names
-- the user gave them on the recording card ({"2": "Анна"}), which re-render every transcript
-- and export without re-running anything. bot_users.speakers is the user's default for new
-- recordings: 'auto' (count them), 'off', or an exact count '1'..'8'; NULL: the server's default.
ALTER TABLE recordings
    ADD COLUMN speaker_count      integer,
    ADD COLUMN diarization_model  text,
    ADD COLUMN diarization_method text,
    ADD COLUMN speaker_names      jsonb NOT NULL DEFAULT '{}'::jsonb;

ALTER TABLE bot_users
    ADD COLUMN speakers text
    CHECK (speakers ~ '^(auto|off|[1-8])$');
