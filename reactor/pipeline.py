"""Processing one bucket event: the stages from event to committed result.

The consumer calls :func:`handle_event` and maps its outcome (or exception) to ack/nak in one
place. Everything here either commits its effects or raises; nothing is acked early.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import Path

from reactor.db.recordings import NewRecording, Recording, Recordings
from reactor.errors import PermanentError, TransientError
from reactor.results import ResultPublisher
from reactor.transcription import Transcriber, Transcript
from voxpersona.contracts.events import (
    BucketEvent,
    EventKind,
    MalformedEventError,
    parse_notification,
)
from voxpersona.contracts.keys import AUDIO_PREFIX, InvalidKeyError, parse_audio_key, result_key
from voxpersona.contracts.metadata import MetadataError, RecordingMetadata
from voxpersona.contracts.results import RecordingStatus, ResultMessage
from voxpersona.logging import get_logger
from voxpersona.storage import MinioObjectStore, StorageError, StorageNotFoundError

log = get_logger(__name__)


class Outcome(StrEnum):
    """How an event ended; every value means "ack"."""

    DONE = "done"
    FAILED = "failed"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    REMOVED = "removed"


class RecordingBusyError(TransientError):
    """Another reactor holds the lease on this recording; look again later."""

    def __init__(self) -> None:
        super().__init__("recording_busy", "another reactor is processing this recording")


@dataclass
class PipelineDeps:
    """What processing needs, built once by the app and passed in."""

    store: MinioObjectStore
    recordings: Recordings
    transcriber: Transcriber
    publisher: ResultPublisher
    owner: str
    lease: timedelta
    work_dir: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)


Heartbeat = Callable[[], Awaitable[None]]


async def handle_event(payload: bytes, deps: PipelineDeps, heartbeat: Heartbeat) -> Outcome:
    """Process one NATS message from MinIO. Raises :class:`TransientError` to be redelivered."""
    try:
        event = parse_notification(payload)
    except MalformedEventError as exc:
        log.error("event.malformed", reason=str(exc), payload_bytes=len(payload))
        return Outcome.IGNORED
    log_ctx = {"bucket": event.bucket, "key": event.key, "event": event.event_name}
    if event.bucket != deps.store.audio_bucket or not event.key.startswith(AUDIO_PREFIX):
        log.warning("event.ignored", reason="not the audio bucket/prefix", **log_ctx)
        return Outcome.IGNORED
    if event.kind is EventKind.REMOVED:
        return await _handle_removal(event, deps)
    if event.kind is EventKind.OTHER:
        log.info("event.ignored", reason="not new content", **log_ctx)
        return Outcome.IGNORED
    return await _handle_created(event, deps, heartbeat)


async def _handle_removal(event: BucketEvent, deps: PipelineDeps) -> Outcome:
    changed = await deps.recordings.mark_audio_removed(
        event.bucket, event.key, expired=event.is_lifecycle_expiry
    )
    log.info("event.audio_removed", key=event.key, expired=event.is_lifecycle_expiry, rows=changed)
    return Outcome.REMOVED


def _new_recording(event: BucketEvent) -> NewRecording:
    """Validate key and metadata; raise PermanentError with a precise reason otherwise."""
    try:
        key = parse_audio_key(event.key)
    except InvalidKeyError as exc:
        raise PermanentError("invalid_key", str(exc)) from exc
    try:
        meta = RecordingMetadata.from_user_metadata(event.user_metadata)
    except MetadataError as exc:
        raise PermanentError("invalid_metadata", str(exc)) from exc
    if meta.user_id != key.user_id:
        raise PermanentError("metadata_mismatch", "metadata user id differs from the key's")
    if not event.etag:
        raise PermanentError("invalid_event", "created event without eTag")
    return NewRecording(
        bucket=event.bucket,
        object_key=event.key,
        etag=event.etag,
        version_id=event.version_id,
        sequencer=event.sequencer or None,
        user_id=meta.user_id,
        chat_id=meta.chat_id,
        message_id=meta.message_id,
        original_name=meta.original_name,
        content_type=event.content_type,
        size_bytes=event.size,
        duration_seconds=float(meta.duration_seconds) if meta.duration_seconds else None,
    )


async def _handle_created(event: BucketEvent, deps: PipelineDeps, heartbeat: Heartbeat) -> Outcome:
    try:
        new = _new_recording(event)
    except PermanentError as exc:
        # No trustworthy recipient: an operator problem, not a user one.
        log.error("event.rejected", key=event.key, code=exc.code, reason=exc.message)
        return Outcome.IGNORED
    claim = await deps.recordings.claim(new, owner=deps.owner, lease=deps.lease)
    recording = claim.recording
    if not claim.acquired:
        if recording.status is RecordingStatus.PROCESSING:
            raise RecordingBusyError()
        if not recording.notified:
            # Finished earlier but the result was never announced (crash in between).
            await _announce(recording, deps, event)
            return Outcome.DONE if recording.status is RecordingStatus.DONE else Outcome.FAILED
        log.info("event.duplicate", key=event.key, recording_id=str(recording.id))
        return Outcome.DUPLICATE
    try:
        transcript = await _transcribe(event, new, deps, heartbeat)
        await _store_result(new, transcript, deps)
    except PermanentError as exc:
        await _fail(recording, exc, deps, event)
        return Outcome.FAILED
    except TransientError:
        await _release(recording, deps)
        raise
    done = await deps.recordings.get(recording.id)
    assert done is not None
    await _announce(done, deps, event)
    return Outcome.DONE


@contextlib.asynccontextmanager
async def _lease_renewal(new: NewRecording, deps: PipelineDeps) -> AsyncIterator[None]:
    """Keep our lease while a long transcription runs, so no other reactor takes it over."""
    interval = max(deps.lease.total_seconds() / 3, 0.5)

    async def renew() -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await deps.recordings.renew_lease(new.id, owner=deps.owner, lease=deps.lease)
            except Exception as exc:
                log.warning("recording.lease_renewal_failed", key=new.object_key, reason=str(exc))

    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def fail_exhausted(payload: bytes, deps: PipelineDeps, *, code: str, reason: str) -> None:
    """After the last delivery: mark the recording failed and tell the user, if we can."""
    try:
        event = parse_notification(payload)
        new = _new_recording(event)
    except (MalformedEventError, PermanentError):
        return
    recording = await deps.recordings.get(new.id)
    if recording is None or recording.status is not RecordingStatus.PROCESSING:
        return
    await _fail(recording, PermanentError(code, reason), deps, event)


def _storage_error(exc: StorageError, *, what: str) -> TransientError | PermanentError:
    if isinstance(exc, StorageNotFoundError):
        return PermanentError("object_gone", f"{what}: the object no longer exists")
    if exc.transient:
        return TransientError("storage_unavailable", f"{what}: {exc}")
    return PermanentError("storage_rejected", f"{what}: {exc}")


async def _transcribe(
    event: BucketEvent, new: NewRecording, deps: PipelineDeps, heartbeat: Heartbeat
) -> Transcript:
    if event.size == 0:
        raise PermanentError("empty_object", "the uploaded object has zero bytes")
    key = parse_audio_key(new.object_key)
    with tempfile.TemporaryDirectory(prefix="vp-", dir=deps.work_dir) as tmp:
        path = Path(tmp) / f"{key.object_id}.{key.extension}"
        started = time.perf_counter()
        try:
            await deps.store.download_to_file(new.bucket, new.object_key, path)
        except StorageError as exc:
            raise _storage_error(exc, what="download") from exc
        deps.timings["download"] = time.perf_counter() - started
        await heartbeat()
        started = time.perf_counter()
        async with _lease_renewal(new, deps):
            transcript = await deps.transcriber.transcribe(path, filename=path.name, language=None)
        deps.timings["transcribe"] = time.perf_counter() - started
    if not transcript.text.strip():
        raise PermanentError("no_speech", "the transcriber found no speech in the recording")
    return transcript


async def _store_result(new: NewRecording, transcript: Transcript, deps: PipelineDeps) -> None:
    key = result_key(new.user_id, new.id)
    document = {
        "recording_id": str(new.id),
        "bucket": new.bucket,
        "object_key": new.object_key,
        "etag": new.etag,
        "user_id": new.user_id,
        "transcript": transcript.model_dump(),
    }
    started = time.perf_counter()
    try:
        await deps.store.put_bytes(
            deps.store.results_bucket,
            key,
            json.dumps(document, ensure_ascii=False).encode(),
            content_type="application/json",
        )
    except StorageError as exc:
        raise _storage_error(exc, what="store result") from exc
    await deps.recordings.complete(
        new.id,
        text=transcript.text,
        segments=[s.model_dump() for s in transcript.segments],
        language=transcript.language,
        duration_seconds=transcript.duration,
        engine=transcript.engine,
        model=transcript.model,
        result_key=key,
    )
    deps.timings["store"] = time.perf_counter() - started


async def _fail(
    recording: Recording, exc: PermanentError, deps: PipelineDeps, event: BucketEvent
) -> None:
    log.error(
        "recording.failed",
        key=event.key,
        recording_id=str(recording.id),
        code=exc.code,
        reason=exc.message,
    )
    await deps.recordings.fail(recording.id, code=exc.code, reason=exc.message)
    failed = await deps.recordings.get(recording.id)
    assert failed is not None
    await _announce(failed, deps, event)


async def _release(recording: Recording, deps: PipelineDeps) -> None:
    try:
        await deps.recordings.release(recording.id, owner=deps.owner)
    except Exception as exc:  # the lease expires on its own; don't mask the original error
        log.warning("recording.release_failed", recording_id=str(recording.id), reason=str(exc))


async def _announce(recording: Recording, deps: PipelineDeps, event: BucketEvent) -> None:
    """Publish the result for the bot, then remember that we did (dedup id covers the gap)."""
    meta_lang = event.user_metadata
    message = ResultMessage(
        recording_id=recording.id,
        user_id=recording.user_id,
        chat_id=recording.chat_id,
        reply_to_message_id=recording.message_id,
        status=recording.status,
        reason_code=recording.failure_code,
        reason=recording.failure_reason,
        interface_language=_interface_language(meta_lang),
    )
    await deps.publisher.publish(message)
    await deps.recordings.mark_notified(recording.id)
    log.info(
        "recording.announced",
        key=event.key,
        recording_id=str(recording.id),
        status=str(recording.status),
    )


def _interface_language(user_metadata: dict[str, str]) -> str | None:
    try:
        return RecordingMetadata.from_user_metadata(user_metadata).interface_language
    except MetadataError:
        return None
