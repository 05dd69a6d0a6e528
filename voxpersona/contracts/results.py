"""The result message the reactor publishes and the bot delivers. It carries ids, not megabytes:
the bot reads the transcript from PostgreSQL by ``recording_id``."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict


class RecordingStatus(StrEnum):
    """Life of a recording in PostgreSQL."""

    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


AnalysisState = Literal["none", "pending", "done", "failed"]


class ResultMessage(BaseModel):
    """Published on the results subject once a recording reaches a final status."""

    model_config = ConfigDict(frozen=True)

    recording_id: uuid.UUID
    user_id: int
    chat_id: int
    reply_to_message_id: int | None = None
    status: RecordingStatus
    reason_code: str | None = None
    reason: str | None = None
    interface_language: str | None = None
    # ``transcript``: the recording's final status (with the analysis when it is ready);
    # ``analysis``: an analysis that finished after its transcript was delivered.
    part: Literal["transcript", "analysis"] = "transcript"
    # The analysis at the time of this message: none (not requested), pending (will follow or
    # be retried), done, failed (then ``analysis_reason_code`` says why).
    analysis: AnalysisState = "none"
    analysis_reason_code: str | None = None
    # Set on a forced re-run (operator replay/requeue) so its result is not deduplicated away.
    run_id: str | None = None

    @property
    def dedup_id(self) -> str:
        """JetStream ``Nats-Msg-Id``: a crash between publish and bookkeeping can't notify twice.

        It names what the message carries (part, status, the analysis state), so a later,
        fuller message (a transcript now with its analysis) is never dropped as a duplicate
        of an earlier one; the bot's delivery journal catches repeats beyond the window.
        """
        run = f":{self.run_id}" if self.run_id else ""
        if self.part == "analysis":
            return f"result:{self.recording_id}:analysis:{self.analysis}{run}"
        return f"result:{self.recording_id}:transcript:{self.status}:analysis-{self.analysis}{run}"
