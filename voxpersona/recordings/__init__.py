"""The one owner of recordings: schema and migrations (:mod:`.schema`), every write and state
change (:class:`Recordings`, :mod:`.repository`) and the read models the bot needs
(:mod:`.queries`). Shared by the reactor and the bot, which never import each other; nothing
else runs SQL that writes these tables."""

from voxpersona.recordings.models import (
    AnalysisStepRow,
    Claim,
    CompletedTranscript,
    LeaseLostError,
    NewRecording,
    Recording,
    recording_id_for,
)
from voxpersona.recordings.repository import Recordings

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
