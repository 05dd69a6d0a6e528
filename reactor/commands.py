"""Processing one command from the bot (re-analysis, a scenario chosen later), shaped like
:func:`reactor.pipeline.handle_event`: returns an outcome (ack) or raises a transient error
(redeliver). A command is applied once per ``command_id``: its id is the force token of the
re-analysis it starts, so a redelivered command meets its own finished work."""

from __future__ import annotations

import structlog
from nats.aio.msg import Msg

from reactor.errors import TransientError
from reactor.leased import (
    Audience,
    Outcome,
    analyse_outstanding,
    announce,
    delivery_owner,
    run_leased,
    settle_unclaimed,
)
from reactor.pipeline import Heartbeat, PipelineDeps
from voxpersona.contracts.commands import (
    ChooseScenarioCommand,
    MalformedCommandError,
    ReanalyseCommand,
    parse_command,
)
from voxpersona.logging import get_logger
from voxpersona.recordings import LeaseLostError, Recording

log = get_logger(__name__)


class RecordingUnknownError(TransientError):
    """The command names an upload no reactor has recorded yet; look again later."""

    def __init__(self) -> None:
        super().__init__("recording_unknown", "no recording for this upload yet")


async def handle_command(
    data: bytes, deps: PipelineDeps, beat: Heartbeat, *, lease_owner: str
) -> Outcome:
    """Apply one command; ``lease_owner`` names this delivery (one lease per delivery)."""
    try:
        command = parse_command(data)
    except MalformedCommandError as exc:
        log.error("command.rejected", code="malformed_command", reason=str(exc), bytes=len(data))
        return Outcome.REJECTED
    structlog.contextvars.bind_contextvars(
        command=command.kind, command_id=str(command.command_id), user_id=command.user_id
    )
    await _bind_recording(command, deps)
    if isinstance(command, ChooseScenarioCommand):
        return await _choose_scenario(command, deps, beat, lease_owner)
    return await _reanalyse(command, deps, beat, lease_owner)


async def _bind_recording(
    command: ChooseScenarioCommand | ReanalyseCommand, deps: PipelineDeps
) -> None:
    """Every line about a command names its object key and, once known, its recording, like
    an event's lines do (operators search logs by either)."""
    if isinstance(command, ChooseScenarioCommand):
        structlog.contextvars.bind_contextvars(key=command.object_key)
        recording_id = await deps.recordings.id_by_key(command.user_id, command.object_key)
        if recording_id is not None:
            structlog.contextvars.bind_contextvars(recording_id=str(recording_id))
        return
    structlog.contextvars.bind_contextvars(recording_id=str(command.recording_id))
    recording = await deps.recordings.get(command.recording_id)
    if recording is not None:
        structlog.contextvars.bind_contextvars(key=recording.object_key)


async def _choose_scenario(
    command: ChooseScenarioCommand, deps: PipelineDeps, beat: Heartbeat, owner: str
) -> Outcome:
    outcome = await deps.recordings.choose_scenario(
        command.user_id, command.object_key, command.scenario
    )
    log.info("command.scenario_chosen", scenario=command.scenario, outcome=outcome)
    if outcome == "unknown":
        raise RecordingUnknownError()
    if outcome == "deleted":
        return Outcome.DELETED
    if outcome == "applied":
        return Outcome.DONE
    card = await _recording_by_key(deps, command)
    if card is None:
        return Outcome.DELETED
    if card.scenario == command.scenario and card.analysis_status != "failed":
        return Outcome.DUPLICATE  # already analysed with this scenario
    rerun = ReanalyseCommand(
        command_id=command.command_id,
        user_id=command.user_id,
        interface_language=command.interface_language,
        recording_id=card.id,
        scenario=command.scenario,
    )
    return await _reanalyse(rerun, deps, beat, owner)


async def _recording_by_key(deps: PipelineDeps, command: ChooseScenarioCommand) -> Recording | None:
    recording_id = await deps.recordings.id_by_key(command.user_id, command.object_key)
    return await deps.recordings.get(recording_id) if recording_id is not None else None


async def _reanalyse(
    command: ReanalyseCommand, deps: PipelineDeps, beat: Heartbeat, owner: str
) -> Outcome:
    structlog.contextvars.bind_contextvars(recording_id=str(command.recording_id))
    claim = await deps.recordings.claim_rerun(
        command.recording_id,
        user_id=command.user_id,
        scenario=command.scenario,
        token=f"cmd-{command.command_id}",
        owner=owner,
        lease=deps.lease,
    )
    recording = claim.recording
    if recording is None:
        log.info("command.recording_gone")
        return Outcome.DELETED
    audience = Audience(language=command.interface_language)
    if not claim.acquired:
        return await settle_unclaimed(recording, deps, audience)

    async def work(current: Recording) -> Recording:
        return await analyse_outstanding(
            current, deps, owner, beat, interface_language=command.interface_language
        )

    return await run_leased(recording, work, deps, owner, audience)


async def handle_command_message(msg: Msg, deps: PipelineDeps, beat: Heartbeat) -> str:
    """The commands durable's work for :class:`reactor.consumer.ReactorHandler`."""
    meta = msg.metadata
    owner = delivery_owner(deps.owner, meta.sequence.stream, meta.num_delivered)
    return await handle_command(msg.data, deps, beat, lease_owner=command_owner(owner))


def command_owner(delivery: str) -> str:
    """The lease owner of one delivery of a command (distinct from any event delivery's)."""
    return f"cmd:{delivery}"


async def fail_exhausted_command(
    payload: bytes, deps: PipelineDeps, *, code: str, reason: str, lease_owner: str | None = None
) -> None:
    """After a command's last delivery: an analysis it left outstanding fails (never pending
    for good) and its user is told. Anything that is not a command is left alone."""
    try:
        command = parse_command(payload)
    except MalformedCommandError:
        return
    if isinstance(command, ReanalyseCommand):
        recording = await deps.recordings.get(command.recording_id)
    else:
        recording = await _recording_by_key(deps, command)
    if recording is None or not recording.analysis_pending:
        return
    if recording.leased_by_other(lease_owner) or recording.user_id != command.user_id:
        return
    try:
        await deps.recordings.fail_analysis(
            recording.id,
            owner=lease_owner or f"{deps.owner}/exhausted",
            code=f"analysis_{code}",
            reason=reason,
        )
    except LeaseLostError as lost:
        log.info("command.exhausted_after_all", reason=str(lost))
        return
    fresh = await deps.recordings.get(recording.id)
    if fresh is not None:
        await announce(fresh, deps, Audience(language=command.interface_language))
