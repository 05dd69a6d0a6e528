"""Queue depth: JetStream's view of our durable consumers and dead letters, into metrics."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import nats.errors
from nats.js import JetStreamContext

from voxpersona.observability.metrics import Metrics


@dataclass(frozen=True, slots=True)
class WatchedConsumer:
    stream: str
    durable: str


class QueueSampler:
    """Reads consumer and dead-letter state; failures leave the last values in place."""

    def __init__(
        self,
        js: JetStreamContext,
        metrics: Metrics,
        consumers: tuple[WatchedConsumer, ...],
        *,
        dead_letter_stream: str | None = None,
        timeout: float = 2.0,
    ) -> None:
        self._js = js
        self._metrics = metrics
        self._consumers = consumers
        self._dead_letter_stream = dead_letter_stream
        self._timeout = timeout

    async def sample(self) -> None:
        with contextlib.suppress(TimeoutError, nats.errors.Error):
            async with asyncio.timeout(self._timeout):
                for consumer in self._consumers:
                    info = await self._js.consumer_info(consumer.stream, consumer.durable)
                    self._metrics.queue_depth(
                        consumer.durable,
                        pending=info.num_pending or 0,
                        ack_pending=info.num_ack_pending or 0,
                        redelivered=info.num_redelivered or 0,
                    )
                if self._dead_letter_stream is not None:
                    stream = await self._js.stream_info(self._dead_letter_stream)
                    self._metrics.dead_letters.set(stream.state.messages)

    async def watch(self, interval: float) -> None:
        """Sample every ``interval`` seconds until cancelled (feeds the queue chart)."""
        while True:
            await self.sample()
            await asyncio.sleep(interval)
