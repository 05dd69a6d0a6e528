"""The pull loop every durable consumer runs: bounded concurrency, heartbeats, graceful drain,
and the one place where a handler's verdict becomes ack, nak, term or a dead letter.

A consumer is a :class:`MessageHandler` plugged into :class:`JetStreamConsumer`. The handler
does the work and names the outcome; the core plans (:mod:`voxpersona.consumer.plan`) and
settles. Handlers stay thin: parse, call the stage function, return a :class:`Verdict`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

import nats.errors
import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from voxpersona.consumer.plan import (
    Action,
    RetryPolicy,
    Settlement,
    Verdict,
    plan_arrival,
    plan_settlement,
    retry_delay,
)
from voxpersona.logging import get_logger

log = get_logger(__name__)

Heartbeat = Callable[[], Awaitable[None]]


class MessageHandler(Protocol):
    """One consumer's behaviour; the core owns the loop and the settling."""

    async def handle(self, msg: Msg, beat: Heartbeat) -> Verdict:
        """Process one message; call ``beat`` between long steps (``in_progress``)."""
        ...

    def classify(self, error: Exception) -> Verdict:
        """The verdict for an exception ``handle`` raised."""
        ...

    async def dead_letter(self, msg: Msg, settlement: Settlement) -> None:
        """Store the message where an operator sees it, and tell whoever waits for it.
        Raising leaves the message to be dead-lettered again on its next delivery."""
        ...


class Meter(Protocol):
    """Observes one delivery from fetch to settlement (metrics)."""

    def settled(self, action: str, code: str, reason: str = "") -> None: ...

    def abandoned(self) -> None: ...


@dataclass(frozen=True, slots=True)
class ConsumerOptions:
    stream: str
    durable: str
    policy: RetryPolicy
    concurrency: int = 1
    ack_wait: float = 30.0
    shutdown_grace: float = 10.0
    fetch_timeout: float = 1.0
    # Names the messages in log events (``event.acked``, ``result.nak``, …).
    noun: str = "message"


class JetStreamConsumer:
    """Pulls from one durable and runs up to ``concurrency`` messages at a time."""

    def __init__(
        self,
        js: JetStreamContext,
        handler: MessageHandler,
        options: ConsumerOptions,
        *,
        meter: Callable[[Msg], Meter] | None = None,
        rng: random.Random | None = None,
        logger: structlog.stdlib.BoundLogger | None = None,
    ) -> None:
        self._js = js
        self._log = logger or log
        self._noun = options.noun
        self._handler = handler
        self._options = options
        self._meter = meter
        self._rng = rng
        self._in_flight: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop`` is set; then drain in-flight work within the grace period. Nothing
        a message or the connection does ends the loop early."""
        opts = self._options
        sub = await self._js.pull_subscribe_bind(durable=opts.durable, stream=opts.stream)
        self._log.info("consumer.started", durable=opts.durable, concurrency=opts.concurrency)
        try:
            while not stop.is_set():
                try:
                    await self._fetch_and_dispatch(sub, stop)
                except Exception as exc:  # a bug in the loop itself must not stop consuming
                    self._log.exception("consumer.loop_error", exc_info=exc)
                    await asyncio.sleep(1.0)
        finally:
            await self._drain()
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
            self._log.info("consumer.stopped", durable=opts.durable)

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
            self._log.warning("consumer.fetch_failed", reason=type(exc).__name__)
            await asyncio.sleep(1.0)
            return
        for msg in messages:
            task = asyncio.create_task(self._process(msg))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _drain(self) -> None:
        """Give in-flight work the grace period, then hand what is left back for redelivery."""
        if not self._in_flight:
            return
        self._log.info("consumer.draining", in_flight=len(self._in_flight))
        _, pending = await asyncio.wait(self._in_flight, timeout=self._options.shutdown_grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)

    async def _process(self, msg: Msg) -> None:
        meta = msg.metadata
        # Each message runs in its own task, so these bindings stay with this message.
        structlog.contextvars.bind_contextvars(
            durable=self._options.durable,
            stream_seq=meta.sequence.stream,
            attempt=meta.num_delivered,
        )
        meter = self._meter(msg) if self._meter is not None else None
        try:
            settlement = plan_arrival(meta.num_delivered, self._options.policy)
            if settlement is None:
                settlement = plan_settlement(
                    await self._verdict(msg), meta.num_delivered, self._options.policy, self._rng
                )
            await self._settle(msg, settlement)
            if meter is not None:
                meter.settled(str(settlement.action), settlement.code, settlement.reason)
        except asyncio.CancelledError:
            # Shutdown before we finished: hand the message straight back. Should this have
            # been its last attempt, the redelivery dead-letters it (plan_arrival).
            with contextlib.suppress(Exception):
                await msg.nak()
            raise
        finally:
            if meter is not None:
                meter.abandoned()
            structlog.contextvars.clear_contextvars()

    async def _verdict(self, msg: Msg) -> Verdict:
        try:
            async with self._heartbeat(msg) as beat:
                return await self._handler.handle(msg, beat)
        except Exception as exc:
            verdict = self._handler.classify(exc)
            if verdict.code == "internal_error":
                self._log.exception(f"{self._noun}.unexpected_error", exc_info=exc)
            return verdict

    async def _settle(self, msg: Msg, plan: Settlement) -> None:
        """Carry the plan out. A failure to settle leaves the message unacked: JetStream
        redelivers it after ``ack_wait`` and the handlers are idempotent."""
        try:
            if plan.action is Action.ACK:
                await msg.ack_sync()
                self._log.info(f"{self._noun}.acked", outcome=plan.code)
            elif plan.action is Action.NAK:
                self._log.warning(
                    f"{self._noun}.nak",
                    code=plan.code,
                    delay=round(plan.delay, 1),
                    reason=plan.reason,
                )
                await msg.nak(delay=plan.delay)
            elif plan.action is Action.TERM:
                self._log.error(f"{self._noun}.terminated", code=plan.code, reason=plan.reason)
                await msg.term()
            else:
                await self._dead_letter(msg, plan)
        except Exception as exc:
            self._log.error(
                f"{self._noun}.settle_failed",
                action=str(plan.action),
                reason=f"{type(exc).__name__}: {exc}",
            )

    async def _dead_letter(self, msg: Msg, plan: Settlement) -> None:
        """Ack only once the dead letter is stored; otherwise try again soon."""
        try:
            await self._handler.dead_letter(msg, plan)
        except Exception as exc:
            policy = self._options.policy
            # The dead letter's own retries back off from the start, not from the attempt.
            tries = max(msg.metadata.num_delivered - policy.max_attempts + 1, 1)
            delay = retry_delay(Verdict.retry(plan.code), tries, policy, self._rng)
            self._log.error(
                f"{self._noun}.dead_letter_failed",
                code=plan.code,
                delay=round(delay, 1),
                reason=f"{type(exc).__name__}: {exc}",
            )
            await msg.nak(delay=delay)
            return
        await msg.ack_sync()

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
