"""The JetStream consumer loop: bounded concurrency, heartbeats, and the one place where an
outcome becomes ack, nak or dead letter."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import nats.errors
import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from reactor.dead_letters import HEADER_FORCE, DeadLetters
from reactor.errors import ReactorError, TransientError
from reactor.observability import EventMeter
from reactor.pipeline import Heartbeat, PipelineDeps, delivery_owner, handle_event
from reactor.retry_plan import Action, plan_retry
from voxpersona.contracts.subjects import StreamNames
from voxpersona.logging import get_logger
from voxpersona.observability.metrics import Metrics
from voxpersona.storage import StorageError

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ConsumerOptions:
    concurrency: int
    ack_wait: float
    max_deliver: int
    shutdown_grace: float
    fetch_timeout: float = 1.0

    @property
    def busy_delay(self) -> float:
        """How long to wait for another reactor's lease (at most one ack_wait) to run out."""
        return min(max(self.ack_wait / 2, 1.0), 15.0)


_DATABASE_DOWN = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.InterfaceError,
    asyncpg.TooManyConnectionsError,
)


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


# One message in, one outcome out (any str: its value is logged); raises to be retried.
MessageHandler = Callable[[Msg, PipelineDeps, Heartbeat], Awaitable[str]]


async def handle_event_message(msg: Msg, deps: PipelineDeps, beat: Heartbeat) -> str:
    """The events durable's handler: one lease per delivery of one stream message."""
    meta = msg.metadata
    return await handle_event(
        msg.data,
        deps,
        beat,
        force_token=force_token_of(msg),
        lease_owner=delivery_owner(deps.owner, meta.sequence.stream, meta.num_delivered),
    )


class EventConsumer:
    """Pulls messages from a durable consumer (MinIO events by default; the commands durable
    passes its own handler and names) and processes several at a time."""

    def __init__(
        self,
        js: JetStreamContext,
        names: StreamNames,
        deps: PipelineDeps,
        dead_letters: DeadLetters,
        options: ConsumerOptions,
        metrics: Metrics | None = None,
        *,
        handler: MessageHandler = handle_event_message,
        durable: str | None = None,
        stream: str | None = None,
    ) -> None:
        self._js = js
        self._metrics = metrics or Metrics()
        self._names = names
        self._deps = deps
        self._dead_letters = dead_letters
        self._options = options
        self._handler = handler
        self._durable = durable or names.reactor_durable
        self._stream = stream or names.events_stream
        self._in_flight: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        sub = await self._js.pull_subscribe_bind(durable=self._durable, stream=self._stream)
        log.info("consumer.started", durable=self._durable, concurrency=self._options.concurrency)
        try:
            while not stop.is_set():
                await self._fetch_and_dispatch(sub, stop)
        finally:
            await self._drain()
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
            log.info("consumer.stopped")

    async def _fetch_and_dispatch(
        self, sub: JetStreamContext.PullSubscription, stop: asyncio.Event
    ) -> None:
        free = self._options.concurrency - len(self._in_flight)
        if free <= 0:
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({*self._in_flight, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            return
        try:
            messages = await sub.fetch(batch=free, timeout=self._options.fetch_timeout)
        except TimeoutError:
            # nats-py raises its own TimeoutError or asyncio's, depending on the path taken.
            return
        except nats.errors.Error as exc:
            # Reconnecting, closed, no servers: the client reconnects on its own; keep polling.
            log.warning("consumer.fetch_failed", reason=type(exc).__name__)
            await asyncio.sleep(1.0)
            return
        for msg in messages:
            task = asyncio.create_task(self._process(msg))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _drain(self) -> None:
        """Give in-flight work the grace period, then release what is left for redelivery."""
        if not self._in_flight:
            return
        log.info("consumer.draining", in_flight=len(self._in_flight))
        _, pending = await asyncio.wait(self._in_flight, timeout=self._options.shutdown_grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)

    async def _process(self, msg: Msg) -> None:
        meta = msg.metadata
        # Each message runs in its own task, so these bindings stay with this message.
        structlog.contextvars.bind_contextvars(
            stream_seq=meta.sequence.stream, attempt=meta.num_delivered
        )
        meter = EventMeter(self._metrics, msg.data)
        try:
            async with self._heartbeat(msg) as beat:
                outcome = await self._handler(msg, self._deps, beat)
            await msg.ack_sync()
            log.info("event.acked", outcome=str(outcome))
            meter.settled("ack", str(outcome))
        except asyncio.CancelledError:
            # Shutdown before we finished: hand the message straight back.
            with contextlib.suppress(Exception):
                await msg.nak()
            raise
        except Exception as exc:
            await self._settle_failure(msg, as_reactor_error(exc), meter)
        finally:
            meter.abandoned()
            structlog.contextvars.clear_contextvars()

    async def _settle_failure(
        self, msg: Msg, error: BaseException, meter: EventMeter | None = None
    ) -> None:
        deliveries = msg.metadata.num_delivered
        plan = plan_retry(
            deliveries, self._options.max_deliver, error, busy_delay=self._options.busy_delay
        )
        if not isinstance(error, ReactorError):
            log.exception("event.unexpected_error", exc_info=error)
        if meter is not None:
            meter.settled(str(plan.action), plan.code, str(error))
        try:
            if plan.action is Action.NAK:
                log.warning(
                    "event.nak", code=plan.code, delay=round(plan.delay, 1), reason=str(error)
                )
                await msg.nak(delay=plan.delay)
            elif plan.action is Action.DEAD_LETTER:
                await self._dead_letters.dead_letter(msg, error, code=plan.code)
                await msg.ack_sync()
            else:
                log.error("event.terminated", code=plan.code, reason=str(error))
                await msg.term()
        except Exception as settle_exc:
            # Leave the message unacked: JetStream redelivers it after ack_wait.
            log.error("event.settle_failed", reason=str(settle_exc))

    @contextlib.asynccontextmanager
    async def _heartbeat(self, msg: Msg) -> AsyncIterator[Heartbeat]:
        """Tell JetStream we're alive (``in_progress``) while long work runs."""
        interval = max(self._options.ack_wait / 3, 0.5)

        async def beat() -> None:
            with contextlib.suppress(Exception):
                await msg.in_progress()

        async def loop() -> None:
            while True:
                await asyncio.sleep(interval)
                await beat()

        task = asyncio.create_task(loop())
        try:
            yield beat
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
