"""Work on a leased recording: run it under one delivery's lease, settle it (failed, handed
back, dropped because its user deleted it), and announce what its user is owed. Shared by
MinIO events (:mod:`reactor.pipeline`) and the bot's commands (:mod:`reactor.commands`)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from reactor.announce import announce_owed
from reactor.errors import PermanentError, TransientError
from reactor.stages import analyse_recording
from voxpersona.contracts.results import RecordingStatus
from voxpersona.logging import get_logger
from voxpersona.recordings import LeaseLostError, NewRecording, Recording

if TYPE_CHECKING:
    from reactor.pipeline import Heartbeat, PipelineDeps

log = get_logger(__name__)


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
            await fail_recording(recording, exc, deps, owner, audience)
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


async def reuse_twin(
    recording: Recording,
    twin: Recording,
    deps: PipelineDeps,
    owner: str,
    audience: Audience,
    new: NewRecording,
) -> Outcome | None:
    """The same Telegram file, sent earlier: wait for it, then take its transcript; None when
    this recording's own work goes on (the twin failed: transcribe; another scenario: analyse)."""
    if twin.status is RecordingStatus.FAILED:
        await deps.recordings.forget_twin(recording.id)
        return None
    if twin.status is RecordingStatus.PROCESSING or twin.analysis_pending:
        await deps.recordings.release(recording.id, owner=owner)
        raise RecordingBusyError("the same file is being transcribed for an earlier message")
    try:
        await deps.recordings.adopt_twin(
            recording.id, twin.id, owner=owner, analysis_available=deps.analysis is not None
        )
        fresh = await reload(recording, deps)
    except LeaseLostError as lost:
        return _lost(lost)
    log.info("recording.twin_reused", twin=str(twin.id), analysis=fresh.analysis_status)
    if fresh.analysis_pending:
        return None  # its own scenario: the analysis is what is left to do
    # The same Telegram message delivered twice (an update redelivered after a bot crash):
    # its user already gets the twin's message.
    same_message = twin.chat_id == new.chat_id and twin.message_id == new.message_id
    silent = audience.silent or same_message
    await announce(fresh, deps, Audience(audience.language, silent=silent))
    return Outcome.DUPLICATE if same_message else Outcome(fresh.status.value)


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
        return await reload(recording, deps)
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
    return await reload(recording, deps)


async def reload(recording: Recording, deps: PipelineDeps) -> Recording:
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


async def fail_recording(
    recording: Recording, exc: PermanentError, deps: PipelineDeps, owner: str, audience: Audience
) -> None:
    """Fail what is outstanding: the transcription, or (its transcript committed already) the
    analysis; then tell the user."""
    current = await reload(recording, deps)
    if current.status is RecordingStatus.PROCESSING:
        log.error("recording.failed", code=exc.code, reason=exc.message)
        await deps.recordings.fail(recording.id, owner=owner, code=exc.code, reason=exc.message)
    elif current.analysis_pending:
        log.error("analysis.failed", code=exc.code, reason=exc.message)
        await deps.recordings.fail_analysis(
            recording.id, owner=owner, code=exc.code, reason=exc.message
        )
    await announce(await reload(recording, deps), deps, audience)


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
            await announce(await reload(recording, deps), deps, audience)
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
