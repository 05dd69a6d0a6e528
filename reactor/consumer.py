"""The reactor's consumers: thin handlers on the shared consumer core.

:class:`ReactorHandler` runs one unit of work per message (``handle_event`` for MinIO events;
any function of the same shape, e.g. a command handler, plugs in the same way), classifies
what it raised, and dead-letters through :class:`DeadLetters`. The pull loop, heartbeats,
drain and the settle plan live in :mod:`voxpersona.consumer`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import nats.errors
import structlog
from nats.aio.msg import Msg

from reactor.dead_letters import HEADER_FORCE, DeadLetters
from reactor.errors import ReactorError, TransientError
from reactor.pipeline import PipelineDeps, delivery_owner, handle_event
from reactor.recording_input import new_recording
from reactor.retry_plan import BUSY_DELAY, verdict_for
from voxpersona.consumer import Heartbeat, Settlement, Verdict
from voxpersona.consumer.dead_letter import letter_of
from voxpersona.contracts.events import MalformedEventError, parse_notification
from voxpersona.storage import StorageError

_DATABASE_DOWN = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.InterfaceError,
    asyncpg.TooManyConnectionsError,
)

# One message's work: the payload's outcome (always an ack; its text names it in logs and
# metrics), or an exception to classify. ``handle_event_message`` and
# ``reactor.commands.handle_command_message`` are two.
MessageWork = Callable[[Msg, PipelineDeps, Heartbeat], Awaitable[str]]


def as_reactor_error(exc: BaseException) -> BaseException:
    """Name the transient infrastructure failures that escape the pipeline."""
    if isinstance(exc, ReactorError):
        return exc
    if isinstance(exc, StorageError) and exc.transient:
        return TransientError("storage_unavailable", str(exc))
    if isinstance(exc, nats.errors.Error):
        return TransientError("nats_unavailable", f"{type(exc).__name__}: {exc}")
    if isinstance(exc, _DATABASE_DOWN):
        return TransientError("database_unavailable", f"{type(exc).__name__}: {exc}")
    return exc


def force_token_of(msg: Msg) -> str | None:
    """Operators' replay --force and dead-letter requeue mark the copies they publish."""
    return (msg.headers or {}).get(HEADER_FORCE) or None


async def handle_event_message(msg: Msg, deps: PipelineDeps, beat: Heartbeat) -> str:
    """The events durable's work: one lease per delivery of one stream message."""
    meta = msg.metadata
    return await handle_event(
        msg.data,
        deps,
        beat,
        force_token=force_token_of(msg),
        lease_owner=delivery_owner(deps.owner, meta.sequence.stream, meta.num_delivered),
    )


@dataclass
class ReactorHandler:
    """A :class:`voxpersona.consumer.MessageHandler` for reactor work.

    The events consumer is ``ReactorHandler(handle_event_message, deps, dead_letters)``; the
    commands consumer the same with ``handle_command_message``, on its own durable.
    """

    work: MessageWork
    deps: PipelineDeps
    dead_letters: DeadLetters
    busy_delay: float = BUSY_DELAY

    async def handle(self, msg: Msg, beat: Heartbeat) -> Verdict:
        return Verdict.done(str(await self.work(msg, self.deps, beat)))

    def classify(self, error: Exception) -> Verdict:
        return verdict_for(as_reactor_error(error), busy_delay=self.busy_delay)

    async def dead_letter(self, msg: Msg, settlement: Settlement) -> None:
        bind_event_context(msg.data)  # a delivery dead-lettered unrun has none bound yet
        await self.dead_letters.dead_letter(letter_of(msg), settlement.code, settlement.reason)


def bind_event_context(payload: bytes) -> None:
    """Key and recording id in this message's log lines, when the payload names them."""
    try:
        event = parse_notification(payload)
        structlog.contextvars.bind_contextvars(key=event.key, event_name=event.event_name)
        structlog.contextvars.bind_contextvars(recording_id=str(new_recording(event).id))
    except (MalformedEventError, ReactorError, ValueError):
        return
