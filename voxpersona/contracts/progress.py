"""Progress of a recording, published by the reactor while it works and shown by the bot by
editing one status message. Best effort: core NATS, no persistence — a lost update only means
the status message skips a step."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Stage(StrEnum):
    """In the order a recording goes through them; a status message never steps back."""

    RECEIVED = "received"  # bot: the message arrived
    UPLOADING = "uploading"  # bot: streaming into MinIO
    QUEUED = "queued"  # bot: stored, waiting for a reactor
    TRANSCRIBING = "transcribing"  # reactor
    ANALYSING = "analysing"  # reactor
    # reactor: held back by something only an operator can fix (a refused API key); retried,
    # not failed. After transcribing and analysing: a retry's progress does not undo it.
    DELAYED = "delayed"
    DONE = "done"  # bot: the result was delivered
    FAILED = "failed"  # bot: the user was told why it failed


class ProgressMessage(BaseModel):
    """One step of progress for the status message ``status_message_id`` in ``chat_id``."""

    model_config = ConfigDict(frozen=True)

    chat_id: int
    status_message_id: int
    stage: Stage
    done_seconds: float | None = None
    total_seconds: float | None = None
    chunk: int | None = None
    chunks: int | None = None
    interface_language: str | None = None

    @property
    def fraction(self) -> float | None:
        if self.done_seconds is None or not self.total_seconds:
            return None
        return max(0.0, min(1.0, self.done_seconds / self.total_seconds))
