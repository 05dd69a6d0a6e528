"""The result message the reactor publishes and the bot delivers. It carries ids, not megabytes:
the bot reads the transcript from PostgreSQL by ``recording_id``."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class RecordingStatus(StrEnum):
    """Life of a recording in PostgreSQL."""

    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


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

    @property
    def dedup_id(self) -> str:
        """JetStream ``Nats-Msg-Id``: a crash between publish and bookkeeping can't notify twice."""
        return f"result:{self.recording_id}:{self.status}"
