"""Processing one bucket event: from event to committed, announced result.

The consumer calls :func:`handle_event` and maps its outcome (or exception) to ack/nak in one
place. Everything here either commits its effects or raises; nothing is acked early.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import structlog

from reactor.diarizing import DiarizationDeps, DiarizeStep
from reactor.errors import OperatorAlarmError, PermanentError
from reactor.indexing import Indexing, index_transcript, remove_passages
from reactor.leased import (
    Audience,
    Outcome,
    RecordingBusyError,
    analyse_outstanding,
    announce,
    delivery_owner,
    fail_recording,
    reload,
    reuse_twin,
    run_leased,
    settle_unclaimed,
)
from reactor.progress import ProgressReporter
from reactor.recording_input import new_recording, recording_metadata
from reactor.results import ResultPublisher
from reactor.stages import AnalysisDeps, commit_transcript, transcribe_recording
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

__all__ = [
    "Audience",
    "Heartbeat",
    "Outcome",
    "PipelineDeps",
    "RecordingBusyError",
    "delivery_owner",
    "fail_exhausted",
    "handle_event",
]
log = get_logger(__name__)
Heartbeat = Callable[[], Awaitable[None]]


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
    # Who said what, after transcription; None: never diarize.
    diarization: DiarizationDeps | None = None
    # Passages for /ask and /search; None: no indexing.
    indexing: Indexing | None = None


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
    outcome = await _handle_created(event, new, deps, heartbeat, force_token, owner)
    # After the user has the transcript; a redelivery (duplicate) indexes what is still owed.
    await index_transcript(deps.indexing, new.id, event.key)
    return outcome


async def _handle_removal(event: BucketEvent, deps: PipelineDeps) -> Outcome:
    changed = await deps.recordings.mark_audio_removed(
        event.bucket,
        event.key,
        expired=event.is_lifecycle_expiry,
        sequencer=event.sequencer or None,
    )
    log.info("event.audio_removed", expired=event.is_lifecycle_expiry, rows=changed)
    await remove_passages(deps.indexing, event.bucket, event.key)
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
        twin_outcome = await reuse_twin(recording, claim.twin, deps, owner, audience, new)
        if twin_outcome is not None:
            return twin_outcome
        recording = await deps.recordings.get(recording.id) or recording

    async def work(current: Recording) -> Recording:
        try:
            return await _work(event, new, current, deps, heartbeat, owner)
        except OperatorAlarmError:
            _tell_delayed(event, deps)
            raise

    return await run_leased(recording, work, deps, owner, audience)


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
            diarize=_diarize_step(event, deps),
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
        recording = await reload(recording, deps)
    if recording.analysis_pending and deps.progress is not None and status is not None:
        deps.progress.stage(status, Stage.ANALYSING)
    return await analyse_outstanding(
        recording, deps, owner, heartbeat, interface_language=_ui_language(event)
    )


def _diarize_step(event: BucketEvent, deps: PipelineDeps) -> DiarizeStep | None:
    """The diarization stage as the upload's ``speakers`` (the user's default) asks for it."""
    if deps.diarization is None:
        return None
    meta = recording_metadata(event)
    return deps.diarization.step(meta.speakers if meta is not None else None)


def _tell_delayed(event: BucketEvent, deps: PipelineDeps) -> None:
    """The user hears "delayed", not "failed": the cause is ours and an operator is alarmed."""
    status = _status_message(event, deps)
    if deps.progress is not None and status is not None:
        deps.progress.stage(status, Stage.DELAYED)


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
    if recording is None:
        return  # unknown or deleted
    if recording.leased_by_other(lease_owner):
        # Another delivery works on it (we held a duplicate), or a killed one's lease has not
        # run out yet: the caller tries again later, so the user is told either way.
        raise RecordingBusyError()
    owner = lease_owner or f"{deps.owner}/exhausted"
    audience = audience_of(event)
    try:
        if recording.status is RecordingStatus.PROCESSING:
            await fail_recording(recording, PermanentError(code, reason), deps, owner, audience)
        elif recording.analysis_pending:
            await deps.recordings.fail_analysis(
                recording.id, owner=owner, code=f"analysis_{code}", reason=reason
            )
            await announce(await reload(recording, deps), deps, audience)
    except LeaseLostError as lost:
        log.info("recording.exhausted_after_all", reason=str(lost))
