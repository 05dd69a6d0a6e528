"""Processing one bucket event: from event to committed, announced result.

The consumer calls :func:`handle_event` and maps its outcome (or exception) to ack/nak in one
place. Everything here either commits its effects or raises; nothing is acked early.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from pathlib import Path

import structlog

from reactor.announce import announce_owed
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
from voxpersona.recordings import LeaseLostError, NewRecording, Recording, Recordings
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
    DELETED = "deleted"  # the user deleted the recording: nothing written, nobody told


class RecordingBusyError(TransientError):
    """Another delivery holds the lease on this recording; look again later."""

    def __init__(self, reason: str = "another delivery is processing this recording") -> None:
        super().__init__("recording_busy", reason)


def delivery_owner(process_owner: str, stream_seq: int, delivery: int) -> str:
    """The lease owner of one delivery of one stream message (not of a process): two copies
    of one event, or two deliveries of one message, never share a lease."""
    return f"{process_owner}/{stream_seq}.{delivery}"


@dataclass(frozen=True, slots=True)
class Audience:
    """Who hears about a recording, and how."""

    language: str | None
    silent: bool = False  # migrations: recorded as announced, never published


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
    payload: bytes,
    deps: PipelineDeps,
    heartbeat: Heartbeat,
    *,
    force_token: str | None = None,
    lease_owner: str | None = None,
) -> Outcome:
    """Process one NATS message from MinIO. Raises :class:`TransientError` to be redelivered.

    ``force_token`` (operators' replay ``--force`` and dead-letter requeue) reprocesses a
    recording that already finished, once per token. ``lease_owner`` names this delivery
    (:func:`delivery_owner`); a fresh one is made when not given.
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
    owner = lease_owner or f"{deps.owner}/{uuid.uuid4().hex[:12]}"
    return await _handle_created(event, new, deps, heartbeat, force_token, owner)


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


def audience_of(event: BucketEvent) -> Audience:
    meta = recording_metadata(event)
    return Audience(
        language=meta.interface_language if meta is not None else None,
        silent=meta is not None and meta.source == MIGRATION_SOURCE,
    )


async def _handle_created(
    event: BucketEvent,
    new: NewRecording,
    deps: PipelineDeps,
    heartbeat: Heartbeat,
    force_token: str | None,
    owner: str,
) -> Outcome:
    claim = await deps.recordings.claim(new, owner=owner, lease=deps.lease, force_token=force_token)
    recording = claim.recording
    if claim.deleted or recording is None:
        log.info("event.deleted_recording", reason="the user deleted this recording")
        return Outcome.DELETED
    audience = audience_of(event)
    if not claim.acquired:
        return await settle_unclaimed(recording, deps, audience)
    if claim.twin is not None:
        twin_outcome = await _reuse_twin(recording, claim.twin, deps, owner, audience, new)
        if twin_outcome is not None:
            return twin_outcome

    async def work(current: Recording) -> Recording:
        return await _work(event, new, current, deps, heartbeat, owner)

    return await run_leased(recording, work, deps, owner, audience)


async def settle_unclaimed(recording: Recording, deps: PipelineDeps, audience: Audience) -> Outcome:
    """Someone else holds the recording, or it is finished: wait, repair an owed message, or
    call it a duplicate."""
    if recording.status is RecordingStatus.PROCESSING or recording.analysis_pending:
        raise RecordingBusyError()
    if await announce(recording, deps, audience):
        # Finished earlier but not (fully) announced: a crash in between.
        return Outcome(recording.status.value)
    log.info("event.duplicate", status=str(recording.status))
    return Outcome.DUPLICATE


async def run_leased(
    recording: Recording,
    work: Callable[[Recording], Awaitable[Recording]],
    deps: PipelineDeps,
    owner: str,
    audience: Audience,
) -> Outcome:
    """Run ``work`` under our lease and settle: a permanent error fails the recording, a
    deleted recording drops the work, anything else hands the lease back and propagates."""
    try:
        async with _lease_renewal(recording.id, deps, owner):
            recording = await work(recording)
    except PermanentError as exc:
        try:
            await _fail(recording, exc, deps, owner, audience)
        except LeaseLostError as lost:
            return _lost(lost)
        return Outcome.FAILED
    except LeaseLostError as lost:
        return _lost(lost)
    except BaseException as exc:
        # Transient, cancelled (shutdown) or unexpected: give the lease back at once so the
        # redelivery is not mistaken for another reactor's work.
        await _hand_back(
            recording, deps, owner, audience, announce_done=isinstance(exc, TransientError)
        )
        raise
    await announce(recording, deps, audience)
    return Outcome(recording.status.value)


def _lost(lost: LeaseLostError) -> Outcome:
    if lost.deleted:
        log.info("recording.deleted_while_processing", reason=str(lost))
        return Outcome.DELETED
    raise RecordingBusyError(str(lost)) from lost


async def _reuse_twin(
    recording: Recording,
    twin: Recording,
    deps: PipelineDeps,
    owner: str,
    audience: Audience,
    new: NewRecording,
) -> Outcome | None:
    """The same Telegram file, sent earlier: wait for it, then take its transcript; None when
    it failed and this recording must be transcribed itself."""
    if twin.status is RecordingStatus.FAILED:
        await deps.recordings.forget_twin(recording.id)
        return None
    if twin.status is RecordingStatus.PROCESSING or twin.analysis_pending:
        await deps.recordings.release(recording.id, owner=owner)
        raise RecordingBusyError("the same file is being transcribed for an earlier message")
    try:
        await deps.recordings.adopt_twin(recording.id, twin.id, owner=owner)
    except LeaseLostError as lost:
        return _lost(lost)
    log.info("recording.twin_reused", twin=str(twin.id))
    # The same Telegram message delivered twice (an update redelivered after a bot crash):
    # its user already gets the twin's message.
    same_message = twin.chat_id == new.chat_id and twin.message_id == new.message_id
    silent = audience.silent or same_message
    fresh = await _reload(recording, deps)
    await announce(fresh, deps, Audience(audience.language, silent=silent))
    return Outcome.DUPLICATE if same_message else Outcome(fresh.status.value)


async def _work(
    event: BucketEvent,
    new: NewRecording,
    recording: Recording,
    deps: PipelineDeps,
    heartbeat: Heartbeat,
    owner: str,
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
        await commit_transcript(
            new,
            transcript,
            report,
            store=deps.store,
            recordings=deps.recordings,
            owner=owner,
            analysis_pending=deps.analysis is not None,
        )
        log.info(
            "recording.transcribed",
            chunks=len(report.chunks),
            duration=transcript.duration,
            timings=report.timings,
        )
        recording = await _reload(recording, deps)
    if recording.analysis_pending and deps.progress is not None and status is not None:
        deps.progress.stage(status, Stage.ANALYSING)
    return await analyse_outstanding(
        recording, deps, owner, heartbeat, interface_language=_ui_language(event)
    )


async def analyse_outstanding(
    recording: Recording,
    deps: PipelineDeps,
    owner: str,
    heartbeat: Heartbeat,
    *,
    interface_language: str | None,
) -> Recording:
    """Run an outstanding analysis; a reactor without analysis fails it (never leaves it
    pending for good) so the user hears about it."""
    if not recording.analysis_pending:
        return recording
    if deps.analysis is None:
        log.warning("analysis.unavailable", reason="analysis is off on this reactor")
        await deps.recordings.fail_analysis(
            recording.id,
            owner=owner,
            code="analysis_unavailable",
            reason="analysis is switched off on this server",
        )
        return await _reload(recording, deps)
    await heartbeat()
    await analyse_recording(
        recording,
        deps.analysis,
        store=deps.store,
        recordings=deps.recordings,
        owner=owner,
        interface_language=interface_language,
        heartbeat=heartbeat,
    )
    return await _reload(recording, deps)


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
    if fresh is None:  # deleted by its user while we worked
        raise LeaseLostError(recording.id, deleted=True)
    return fresh


@contextlib.asynccontextmanager
async def _lease_renewal(
    recording_id: uuid.UUID, deps: PipelineDeps, owner: str
) -> AsyncIterator[None]:
    """Keep our lease while long work runs, so no other delivery takes the recording over."""
    interval = max(deps.lease.total_seconds() / 3, 0.5)

    async def renew() -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await deps.recordings.renew_lease(recording_id, owner=owner, lease=deps.lease)
            except Exception as exc:
                log.warning("recording.lease_renewal_failed", reason=str(exc))

    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def fail_exhausted(
    payload: bytes, deps: PipelineDeps, *, code: str, reason: str, lease_owner: str | None = None
) -> None:
    """After the last delivery: mark what is outstanding failed and tell the user, if we can.

    ``lease_owner`` is the last delivery's own lease (:func:`delivery_owner`): a lease it still
    holds is ours, not another reactor's, and does not stop the bookkeeping.
    """
    try:
        event = parse_notification(payload)
        new = new_recording(event)
    except (MalformedEventError, PermanentError):
        return
    recording = await deps.recordings.get(new.id)
    if recording is None or recording.leased_by_other(lease_owner):
        # Unknown or deleted, or another delivery is working on it right now (a duplicate).
        return
    owner = lease_owner or f"{deps.owner}/exhausted"
    audience = audience_of(event)
    try:
        if recording.status is RecordingStatus.PROCESSING:
            await _fail(recording, PermanentError(code, reason), deps, owner, audience)
        elif recording.analysis_pending:
            await deps.recordings.fail_analysis(
                recording.id, owner=owner, code=f"analysis_{code}", reason=reason
            )
            await announce(await _reload(recording, deps), deps, audience)
    except LeaseLostError as lost:
        log.info("recording.exhausted_after_all", reason=str(lost))


async def _fail(
    recording: Recording, exc: PermanentError, deps: PipelineDeps, owner: str, audience: Audience
) -> None:
    log.error("recording.failed", code=exc.code, reason=exc.message)
    await deps.recordings.fail(recording.id, owner=owner, code=exc.code, reason=exc.message)
    await announce(await _reload(recording, deps), deps, audience)


async def _hand_back(
    recording: Recording,
    deps: PipelineDeps,
    owner: str,
    audience: Audience,
    *,
    announce_done: bool,
) -> None:
    """Before a redelivery: deliver a finished transcript whose analysis must wait, and give
    the lease back so the redelivery can start at once. Never masks the original error."""
    try:
        if announce_done:
            await announce(await _reload(recording, deps), deps, audience)
        await deps.recordings.release(recording.id, owner=owner)
    except Exception as exc:  # the lease expires on its own
        log.warning("recording.release_failed", reason=str(exc))


async def announce(recording: Recording, deps: PipelineDeps, audience: Audience) -> bool:
    return await announce_owed(
        recording,
        deps.recordings,
        deps.publisher,
        interface_language=audience.language,
        silent=audience.silent,
    )
