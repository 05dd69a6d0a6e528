"""Reporting progress to the bot, throttled so a long file doesn't flood NATS or Telegram."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

from nats.aio.client import Client as NatsClient

from voxpersona.contracts.progress import ProgressMessage, Stage
from voxpersona.logging import get_logger

log = get_logger(__name__)

MIN_INTERVAL = 3.0
MIN_STEP = 0.05


class ChunkedProgress(Protocol):
    """Audio seconds done of the total, and which chunk of how many is being transcribed."""

    def __call__(
        self, done: float, total: float, chunk: int | None = None, chunks: int | None = None
    ) -> None: ...


def should_send(
    *,
    last_at: float | None,
    last_fraction: float | None,
    now: float,
    fraction: float | None,
    final: bool,
    min_interval: float = MIN_INTERVAL,
    min_step: float = MIN_STEP,
) -> bool:
    """Send the first and the final update; in between, only after ``min_interval`` seconds and
    a visible step forward."""
    if last_at is None or final:
        return True
    if now - last_at < min_interval:
        return False
    if fraction is None or last_fraction is None:
        return True
    return fraction - last_fraction >= min_step


class ProgressReporter:
    """Publishes :class:`ProgressMessage` on core NATS; never raises into the pipeline."""

    def __init__(self, nc: NatsClient, subject: str) -> None:
        self._nc = nc
        self._subject = subject
        self._pending: set[asyncio.Task[None]] = set()

    def publish_soon(self, message: ProgressMessage) -> None:
        task = asyncio.create_task(self._publish(message))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _publish(self, message: ProgressMessage) -> None:
        try:
            await self._nc.publish(self._subject, message.model_dump_json().encode())
        except Exception as exc:  # progress is best effort
            log.debug("progress.publish_failed", reason=str(exc))

    def stage(self, base: ProgressMessage, stage: Stage) -> None:
        """Announce a new stage (e.g. analysing) for ``base``'s status message."""
        self.publish_soon(base.model_copy(update={"stage": stage}))

    def tracker(
        self, base: ProgressMessage, clock: Callable[[], float] = time.monotonic
    ) -> ChunkedProgress:
        """A progress callback ``(done, total[, chunk, chunks])`` bound to one status message."""
        last_at: float | None = None
        last_fraction: float | None = None

        def on_progress(
            done: float, total: float, chunk: int | None = None, chunks: int | None = None
        ) -> None:
            nonlocal last_at, last_fraction
            now = clock()
            fraction = done / total if total else None
            final = fraction is not None and fraction >= 1.0
            if not should_send(
                last_at=last_at,
                last_fraction=last_fraction,
                now=now,
                fraction=fraction,
                final=final,
            ):
                return
            last_at, last_fraction = now, fraction
            self.publish_soon(
                base.model_copy(
                    update={
                        "stage": Stage.TRANSCRIBING,
                        "done_seconds": done,
                        "total_seconds": total,
                        "chunk": chunk,
                        "chunks": chunks,
                    }
                )
            )

        return on_progress
