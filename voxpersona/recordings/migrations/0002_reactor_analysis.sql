-- Reactor at production grade: the recording's chosen language and scenario, forced reruns,
-- per-stage timings, chunking, and the LLM analysis with every step's output.
ALTER TABLE recordings
    ADD COLUMN recording_language   text,
    ADD COLUMN scenario             text,
    ADD COLUMN force_token          text,
    ADD COLUMN chunk_count          integer,
    ADD COLUMN timings              jsonb,
    ADD COLUMN analysis_status      text NOT NULL DEFAULT 'none'
               CHECK (analysis_status IN ('none', 'pending', 'done', 'failed')),
    ADD COLUMN analysis_text        text,
    ADD COLUMN analysis_model       text,
    ADD COLUMN analysis_code        text,
    ADD COLUMN analysis_reason      text,
    ADD COLUMN analysis_notified_at timestamptz;

-- Every step of a scenario, in order; the last one is the analysis the user gets.
CREATE TABLE analysis_steps (
    recording_id uuid        NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    step_index   integer     NOT NULL,
    step_name    text        NOT NULL,
    output       text        NOT NULL,
    model        text        NOT NULL,
    chunks       integer     NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (recording_id, step_index)
);

CREATE INDEX recordings_analysis_pending ON recordings (analysis_status)
    WHERE analysis_status = 'pending';
