"""The background task that empties the spool into MinIO once MinIO is healthy.

Each entry is uploaded under the key chosen when it was spooled, with the same metadata and
tags the bot would have sent, so MinIO's ``s3:ObjectCreated`` event starts the normal path
(reactor → result → delivery). An upload that succeeded but whose entry could not be removed is
uploaded again later: same key and bytes, hence the same eTag, and duplicates are harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from bot.spool import Spool
from bot.spool_entry import SpoolEntry, SpoolEntryError
from voxpersona.logging import get_logger
from voxpersona.retry import backoff_delay
from voxpersona.storage import MinioObjectStore, StorageError

log = get_logger(__name__)

RESCAN_INTERVAL = 30.0
MAX_BACKOFF = 60.0


@dataclass(frozen=True, slots=True)
class DrainResult:
    pending: int = 0
    uploaded: int = 0
    quarantined: int = 0
    blocked: bool = False  # MinIO unhealthy or failing transiently: try again later


class SpoolUploader:
    """Uploads spooled recordings; :meth:`notify` wakes it when something was spooled."""

    def __init__(
        self,
        spool: Spool,
        store: MinioObjectStore,
        *,
        rescan_interval: float = RESCAN_INTERVAL,
        max_backoff: float = MAX_BACKOFF,
    ) -> None:
        self._spool = spool
        self._store = store
        self._rescan = rescan_interval
        self._max_backoff = max_backoff
        self._wake = asyncio.Event()

    def notify(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Drain until ``stop``: at once when woken, every rescan interval otherwise, with
        exponential backoff while MinIO is unavailable."""
        failures = 0
        while not stop.is_set():
            self._wake.clear()
            # While backing off, ask MinIO itself: a cached "down" would outlive the outage.
            try:
                result = await self.drain(fresh_health=failures > 0)
            except Exception as exc:
                # The disk itself failing (listing, reading): keep the task alive, retry later.
                log.error("spool.drain_failed", error=f"{type(exc).__name__}: {exc}")
                result = DrainResult(blocked=True)
            if result.blocked:
                failures += 1
                delay = backoff_delay(
                    failures, base=self._store.settings.retry_backoff, cap=self._max_backoff
                )
                log.info("spool.waiting", pending=result.pending, retry_in=round(delay, 2))
                await self._sleep(stop, delay, wake=False)
            else:
                failures = 0
                await self._sleep(stop, self._rescan, wake=True)

    async def _sleep(self, stop: asyncio.Event, seconds: float, *, wake: bool) -> None:
        waiters = [asyncio.ensure_future(stop.wait())]
        if wake:
            waiters.append(asyncio.ensure_future(self._wake.wait()))
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*waiters, return_exceptions=True)

    async def drain(self, *, fresh_health: bool = False) -> DrainResult:
        """Upload every pending entry, oldest first; stop at the first transient failure."""
        entries = await asyncio.to_thread(self._spool.pending)
        if not entries:
            return DrainResult()
        if not await self._store.health.is_ready(fresh=fresh_health):
            return DrainResult(pending=len(entries), blocked=True)
        uploaded = quarantined = stuck = 0
        for entry in entries:
            outcome = await self._upload(entry)
            if outcome == "blocked":
                left = len(entries) - uploaded - quarantined
                return DrainResult(left, uploaded, quarantined, blocked=True)
            uploaded += outcome == "uploaded"
            quarantined += outcome == "quarantined"
            stuck += outcome == "stuck"
        # An entry the disk would not let us move aside is tried again, after a backoff.
        return DrainResult(stuck, uploaded, quarantined, blocked=stuck > 0)

    async def _upload(self, entry: SpoolEntry) -> str:
        try:
            path = await asyncio.to_thread(self._spool.verify, entry)
        except (SpoolEntryError, OSError) as exc:
            return await self._quarantine(entry, f"payload unusable: {exc}")
        try:
            await self._store.put_file(
                self._store.audio_bucket,
                entry.key,
                path,
                content_type=entry.content_type,
                metadata=entry.metadata.to_headers(),
                tags=entry.metadata.to_tags(),
            )
        except StorageError as exc:
            if exc.transient:
                log.warning("spool.upload_deferred", key=entry.key, reason=str(exc))
                return "blocked"
            return await self._quarantine(entry, f"MinIO refused it: {exc}")
        await asyncio.to_thread(self._spool.remove, entry)
        log.info("spool.uploaded", key=entry.key, entry=entry.entry_id, size=entry.size)
        return "uploaded"

    async def _quarantine(self, entry: SpoolEntry, reason: str) -> str:
        moved = await asyncio.to_thread(self._spool.quarantine, entry, reason)
        return "quarantined" if moved else "stuck"
