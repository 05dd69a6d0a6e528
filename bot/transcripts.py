"""Read-only access to finished transcripts: the recordings module's read model, re-exported
for the bot's delivery."""

from voxpersona.recordings.queries import StoredAnalysis, StoredTranscript, TranscriptReader

__all__ = ["StoredAnalysis", "StoredTranscript", "TranscriptReader"]
