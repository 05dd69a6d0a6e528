"""Moved to :mod:`voxpersona.recordings`; kept so older imports still resolve."""

from voxpersona.recordings import (
    AnalysisStepRow,
    Claim,
    CompletedTranscript,
    LeaseLostError,
    NewRecording,
    Recording,
    Recordings,
    recording_id_for,
)

__all__ = [
    "AnalysisStepRow",
    "Claim",
    "CompletedTranscript",
    "LeaseLostError",
    "NewRecording",
    "Recording",
    "Recordings",
    "recording_id_for",
]
