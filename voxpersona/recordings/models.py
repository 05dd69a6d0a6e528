"""What the recordings module hands out and takes in: plain frozen dataclasses, no I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from voxpersona.contracts.results import AnalysisState, RecordingStatus

# Fixed namespace: the same object version always maps to the same recording id, in every
# reactor process, which is what makes duplicate events converge on one row.
_RECORDING_NAMESPACE = uuid.UUID("5d0f8a52-3c7e-4f6b-9a1d-2e8b7c6f4a10")


def recording_id_for(bucket: str, key: str, etag: str) -> uuid.UUID:
    """The deterministic id of one object version."""
    return uuid.uuid5(_RECORDING_NAMESPACE, f"{bucket}/{key}@{etag}")


@dataclass(frozen=True, slots=True)
class NewRecording:
    """What the reactor knows about a recording when its event arrives."""

    bucket: str
    object_key: str
    etag: str
    version_id: str | None
    sequencer: str | None
    user_id: int
    chat_id: int
    message_id: int | None
    original_name: str | None
    content_type: str | None
    size_bytes: int | None
    duration_seconds: float | None
    recording_language: str | None = None
    scenario: str | None = None
    # Telegram's id of the file's content: the same file sent twice is transcribed once.
    file_unique_id: str | None = None
    # When MinIO stored the object (the event's time): a "delete all" after it drops it.
    uploaded_at: datetime | None = None

    @property
    def id(self) -> uuid.UUID:
        return recording_id_for(self.bucket, self.object_key, self.etag)


@dataclass(frozen=True, slots=True)
class Recording:
    """A row of ``recordings`` (the columns the pipeline reads)."""

    id: uuid.UUID
    object_key: str
    user_id: int
    chat_id: int
    message_id: int | None
    status: RecordingStatus
    attempts: int
    failure_code: str | None
    failure_reason: str | None
    notified: bool
    analysis_status: AnalysisState = "none"
    analysis_code: str | None = None
    analysis_notified: bool = False
    recording_language: str | None = None
    scenario: str | None = None
    force_token: str | None = None
    leased: bool = False  # some delivery holds a live lease on it
    lease_owner: str | None = None
    audio_state: str = "present"

    @property
    def analysis_pending(self) -> bool:
        return self.status is RecordingStatus.DONE and self.analysis_status == "pending"

    def leased_by_other(self, owner: str | None) -> bool:
        """A live lease that is not ``owner``'s (another delivery, here or in another reactor)."""
        return self.leased and (owner is None or self.lease_owner != owner)

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Recording:
        return cls(
            id=row["id"],
            object_key=row["object_key"],
            user_id=row["user_id"],
            chat_id=row["chat_id"],
            message_id=row["message_id"],
            status=RecordingStatus(row["status"]),
            attempts=row["attempts"],
            failure_code=row["failure_code"],
            failure_reason=row["failure_reason"],
            notified=row["notified_at"] is not None,
            analysis_status=row["analysis_status"],
            analysis_code=row["analysis_code"],
            analysis_notified=row["analysis_notified_at"] is not None,
            recording_language=row["recording_language"],
            scenario=row["scenario"],
            force_token=row["force_token"],
            leased=row["leased"],
            lease_owner=row["lease_owner"],
            audio_state=row["audio_state"],
        )


@dataclass(frozen=True, slots=True)
class CompletedTranscript:
    """What ``complete`` writes about a finished transcription."""

    text: str
    segments: list[dict[str, Any]]
    language: str | None
    duration_seconds: float | None
    engine: str
    model: str
    result_key: str
    chunk_count: int
    timings: dict[str, float]


@dataclass(frozen=True, slots=True)
class AnalysisStepRow:
    """One stored step of an analysis scenario."""

    name: str
    output: str
    model: str
    chunks: int


@dataclass(frozen=True, slots=True)
class Claim:
    """Result of trying to take a recording for processing.

    ``deleted``: the user deleted it (or everything) after this event was produced; nothing was
    written and nothing must be. ``twin``: the same Telegram file of the same user, recorded
    earlier and not failed; its transcript is reused instead of transcribing again.
    """

    recording: Recording | None
    acquired: bool
    deleted: bool = False
    twin: Recording | None = None


class LeaseLostError(Exception):
    """A write found the recording no longer leased to the writer.

    ``deleted``: the user deleted the recording meanwhile (drop the work, tell nobody);
    otherwise another delivery took it over after our lease ran out (let it finish).
    """

    def __init__(self, recording_id: uuid.UUID, *, deleted: bool) -> None:
        what = "was deleted" if deleted else "is leased to another delivery"
        super().__init__(f"recording {recording_id} {what}")
        self.recording_id = recording_id
        self.deleted = deleted
