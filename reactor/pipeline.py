"""Processing one bucket event: from event to committed, announced result.

The consumer calls :func:`handle_event` and maps its outcome (or exception) to ack/nak in one
place. Everything here either commits its effects or raises; nothing is acked early.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from pathlib import Path

import structlog

from reactor.announce import announce_owed
from reactor.db.recordings import NewRecording, Recording, Recordings
from reactor.errors import PermanentError, TransientError
from reactor.progress import ProgressReporter
from reactor.recording_input import new_recording, recording_metadata
from reactor.results import ResultPublisher
from reactor.stages import AnalysisDeps, analyse_recording, commit_transcript, transcribe_recording
from reactor.transcribing import TranscribeOptions
from reactor.transcription import Transcriber
from voxpersona.contracts.events import (
    BucketEvent,
    EventKind,
    MalformedEventError,
    parse_notification,
)
from voxpersona.contracts.keys import AUDIO_PREFIX
from voxpersona.contracts.metadata import MIGRATION_SOURCE
from voxpersona.contracts.progress import ProgressMessage, Stage
from voxpersona.contracts.results import RecordingStatus
from voxpersona.logging import get_logger
from voxpersona.storage import MinioObjectStore

log = get_logger(__name__)
Heartbeat = Callable[[], Awaitable[None]]


class Outcome(StrEnum):
    """How an event ended; every value means "ack"."""

    DONE = "done"
    FAILED = "failed"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"  # not for us: another bucket or prefix, or not new content
    REJECTED = "rejected"  # for us but unusable: malformed payload, key or metadata
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
    transcribe_options: TranscribeOptions
    analysis: AnalysisDeps | None = None
    work_dir: Path | None = None
    # Publishes progress for the bot's status message; None: no progress reported.
    progress: ProgressReporter | None = None


async def handle_event(
    payload: bytes, deps: PipelineDeps, heartbeat: Heartbeat, *, force_token: str | None = None
) -> Outcome:
    """Process one NATS message from MinIO. Raises :class:`TransientError` to be redelivered.

    ``force_token`` (operators' replay ``--force`` and dead-letter requeue) reprocesses a
    recording that already finished, once per token.
    """
    try:
        event = parse_notification(payload)
    except MalformedEventError as exc:
        log.error("event.rejected", code="malformed_event", reason=str(exc), bytes=len(payload))
        return Outcome.REJECTED
    structlog.contextvars.bind_contextvars(key=event.key, event_name=event.event_name)
    if event.bucket != deps.store.audio_bucket or not event.key.startswith(AUDIO_PREFIX):
        log.warning("event.ignored", code="foreign_object", bucket=event.bucket, key=event.key)
        return Outcome.IGNORED
    if event.kind is EventKind.REMOVED:
        return await _handle_removal(event, deps)
    if event.kind is EventKind.OTHER:
        log.info("event.ignored", code="not_new_content", key=event.key)
        return Outcome.IGNORED
    try:
        new = new_recording(event)
    except PermanentError as exc:
        # No trustworthy recipient: an operator problem, not a user one.
        log.error("event.rejected", code=exc.code, reason=exc.message, key=event.key)
        return Outcome.REJECTED
    structlog.contextvars.bind_contextvars(recording_id=str(new.id))
    return await _handle_created(event, new, deps, heartbeat, force_token)


async def _handle_removal(event: BucketEvent, deps: PipelineDeps) -> Outcome:
    changed = await deps.recordings.mark_audio_removed(
        event.bucket,
        event.key,
        expired=event.is_lifecycle_expiry,
        sequencer=event.sequencer or None,
    )
    log.info("event.audio_removed", expired=event.is_lifecycle_expiry, rows=changed)
    return Outcome.REMOVED


def _ui_language(event: BucketEvent) -> str | None:
    meta = recording_metadata(event)
    return meta.interface_language if meta is not None else None


async def _handle_created(
    event: BucketEvent,
    new: NewRecording,
    deps: PipelineDeps,
    heartbeat: Heartbeat,
    force_token: str | None,
) -> Outcome:
    claim = await deps.recordings.claim(
        new, owner=deps.owner, lease=deps.lease, force_token=force_token
    )
    recording = claim.recording
    if not claim.acquired:
        if recording.status is RecordingStatus.PROCESSING or recording.analysis_pending:
            raise RecordingBusyError()
        if await _announce(recording, deps, event):
            # Finished earlier but not (fully) announced: a crash in between.
            return Outcome(recording.status.value)
        log.info("event.duplicate", status=str(recording.status))
        return Outcome.DUPLICATE
    try:
        async with _lease_renewal(new, deps):
            recording = await _work(event, new, recording, deps, heartbeat)
    except PermanentError as exc:
        await _fail(recording, exc, deps, event)
        return Outcome.FAILED
    except (TransientError, asyncio.CancelledError) as exc:
        await _hand_back(recording, deps, event, announce=isinstance(exc, TransientError))
        raise
    await _announce(recording, deps, event)
    return Outcome(recording.status.value)


async def _work(
    event: BucketEvent,
    new: NewRecording,
    recording: Recording,
    deps: PipelineDeps,
    heartbeat: Heartbeat,
) -> Recording:
    """Transcribe if that is outstanding, then analyse if that is; return the fresh row."""
    status = _status_message(event, deps)
    if recording.status is RecordingStatus.PROCESSING:
        transcript, report = await transcribe_recording(
            event,
            new,
            store=deps.store,
            transcriber=deps.transcriber,
            options=deps.transcribe_options,
            work_dir=deps.work_dir,
            heartbeat=heartbeat,
            progress=deps.progress.tracker(status) if deps.progress and status else None,
        )
        wants_analysis = deps.analysis is not None and new.scenario != "none"
        await commit_transcript(
            new,
            transcript,
            report,
            store=deps.store,
            recordings=deps.recordings,
            analysis_pending=wants_analysis,
        )
        log.info(
            "recording.transcribed",
            chunks=len(report.chunks),
            duration=transcript.duration,
            timings=report.timings,
        )
        recording = await _reload(recording, deps)
    if recording.analysis_pending and deps.analysis is not None:
        if deps.progress is not None and status is not None:
            deps.progress.stage(status, Stage.ANALYSING)
        await heartbeat()
        await analyse_recording(
            recording,
            deps.analysis,
            store=deps.store,
            recordings=deps.recordings,
            interface_language=_ui_language(event),
            heartbeat=heartbeat,
        )
        recording = await _reload(recording, deps)
    return recording


def _status_message(event: BucketEvent, deps: PipelineDeps) -> ProgressMessage | None:
    """Where to show progress: the bot's status message, unless the upload was a migration."""
    meta = recording_metadata(event)
    if deps.progress is None or meta is None or meta.status_message_id is None:
        return None
    if meta.source == MIGRATION_SOURCE:
        return None
    return ProgressMessage(
        chat_id=meta.chat_id,
        status_message_id=meta.status_message_id,
        stage=Stage.TRANSCRIBING,
        interface_language=meta.interface_language,
    )


async def _reload(recording: Recording, deps: PipelineDeps) -> Recording:
    fresh = await deps.recordings.get(recording.id)
    assert fresh is not None  # rows are never deleted while leased
    return fresh


@contextlib.asynccontextmanager
async def _lease_renewal(new: NewRecording, deps: PipelineDeps) -> AsyncIterator[None]:
    """Keep our lease while long work runs, so no other reactor takes the recording over."""
    interval = max(deps.lease.total_seconds() / 3, 0.5)

    async def renew() -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await deps.recordings.renew_lease(new.id, owner=deps.owner, lease=deps.lease)
            except Exception as exc:
                log.warning("recording.lease_renewal_failed", reason=str(exc))

    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def fail_exhausted(payload: bytes, deps: PipelineDeps, *, code: str, reason: str) -> None:
    """After the last delivery: mark what is outstanding failed and tell the user, if we can."""
    try:
        event = parse_notification(payload)
        new = new_recording(event)
    except (MalformedEventError, PermanentError):
        return
    recording = await deps.recordings.get(new.id)
    if recording is None:
        return
    if recording.leased:
        # Another reactor works on it (we held a duplicate), or a killed one's lease has not
        # run out yet: the caller tries again later, so the user is told either way.
        raise RecordingBusyError()
    if recording.status is RecordingStatus.PROCESSING:
        await _fail(recording, PermanentError(code, reason), deps, event)
    elif recording.analysis_pending:
        await deps.recordings.fail_analysis(recording.id, code=f"analysis_{code}", reason=reason)
        await _announce(await _reload(recording, deps), deps, event)


async def _fail(
    recording: Recording, exc: PermanentError, deps: PipelineDeps, event: BucketEvent
) -> None:
    log.error("recording.failed", code=exc.code, reason=exc.message)
    await deps.recordings.fail(recording.id, code=exc.code, reason=exc.message)
    await _announce(await _reload(recording, deps), deps, event)


async def _hand_back(
    recording: Recording, deps: PipelineDeps, event: BucketEvent, *, announce: bool
) -> None:
    """Before a redelivery: deliver a finished transcript whose analysis must wait, and give
    the lease back so the redelivery can start at once. Never masks the original error."""
    try:
        if announce:
            await _announce(await _reload(recording, deps), deps, event)
        await deps.recordings.release(recording.id, owner=deps.owner)
    except Exception as exc:  # the lease expires on its own
        log.warning("recording.release_failed", reason=str(exc))


async def _announce(recording: Recording, deps: PipelineDeps, event: BucketEvent) -> bool:
    meta = recording_metadata(event)
    return await announce_owed(
        recording,
        deps.recordings,
        deps.publisher,
        interface_language=_ui_language(event),
        silent=meta is not None and meta.source == MIGRATION_SOURCE,
    )
