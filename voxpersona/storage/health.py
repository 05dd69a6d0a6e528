"""MinIO's health endpoints (``/minio/health/live``, ``/minio/health/ready``), cached.

Both answer without credentials. ``live`` says the server process answers; ``ready`` says it
can serve requests (MinIO: enough drives online for writes). Results are cached for
``MINIO_HEALTH_CHECK_INTERVAL`` seconds so a burst of callers costs one round trip; a caller that
just saw a connection failure calls :meth:`StorageHealth.invalidate` to force the next check.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import urllib3
from urllib3.exceptions import HTTPError

from voxpersona.logging import get_logger
from voxpersona.settings import MinioSettings
from voxpersona.storage.recorder import NullRecorder, OperationRecorder
from voxpersona.storage.transport import build_http_client

log = get_logger(__name__)

LIVE_PATH = "/minio/health/live"
READY_PATH = "/minio/health/ready"


@dataclass(frozen=True, slots=True)
class HealthStatus:
    """One observation of MinIO's health."""

    live: bool
    ready: bool
    checked_at: datetime
    detail: str | None = None

    def as_report(self) -> dict[str, Any]:
        """The shape both services put into their health reports."""
        return {
            "live": self.live,
            "ready": self.ready,
            "checked_at": self.checked_at.isoformat(),
            "detail": self.detail,
        }


def is_fresh(checked_at: float | None, now: float, interval: float) -> bool:
    """Whether a check made at ``checked_at`` (monotonic seconds) may still be used at ``now``."""
    return checked_at is not None and 0 <= now - checked_at < interval


class StorageHealth:
    """Cached health of one MinIO endpoint."""

    def __init__(
        self,
        settings: MinioSettings,
        *,
        recorder: OperationRecorder | None = None,
        clock: Callable[[], float] = time.monotonic,
        http: urllib3.PoolManager | None = None,
    ) -> None:
        scheme = "https" if settings.use_ssl else "http"
        self._base = f"{scheme}://{settings.endpoint}"
        self._interval = settings.health_check_interval
        self._recorder = recorder or NullRecorder()
        self._clock = clock
        self._http = http or build_http_client(settings, connect_timeout=3.0, read_timeout=5.0)
        self._lock = asyncio.Lock()
        self._last: HealthStatus | None = None
        self._checked_at: float | None = None

    @property
    def last(self) -> HealthStatus | None:
        """The most recent observation, if any (no I/O)."""
        return self._last

    def invalidate(self) -> None:
        """Forget the cached result: the next :meth:`status` asks MinIO again."""
        self._checked_at = None

    async def status(self, *, fresh: bool = False) -> HealthStatus:
        """The cached status, or a new check when the cache is stale (or ``fresh``)."""
        async with self._lock:
            cached = self._last
            if (
                not fresh
                and cached is not None
                and is_fresh(self._checked_at, self._clock(), self._interval)
            ):
                return cached
            status = await asyncio.to_thread(self._check)
            if cached is None or (cached.live, cached.ready) != (status.live, status.ready):
                log.info(
                    "storage.health", live=status.live, ready=status.ready, detail=status.detail
                )
            self._last, self._checked_at = status, self._clock()
            return status

    async def is_ready(self, *, fresh: bool = False) -> bool:
        return (await self.status(fresh=fresh)).ready

    def _check(self) -> HealthStatus:
        live, live_detail = self._probe("health_live", LIVE_PATH)
        ready, ready_detail = (False, live_detail)
        if live:
            ready, ready_detail = self._probe("health_ready", READY_PATH)
        return HealthStatus(
            live=live, ready=ready, checked_at=datetime.now(UTC), detail=ready_detail
        )

    def _probe(self, operation: str, path: str) -> tuple[bool, str | None]:
        started = time.perf_counter()
        detail: str | None
        try:
            response = self._http.request("GET", self._base + path, preload_content=True)
        except (HTTPError, OSError) as exc:
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        else:
            ok = response.status == 200
            detail = None if ok else f"{path} answered {response.status}"
        self._recorder.record(operation, success=ok, duration=time.perf_counter() - started)
        return ok, detail
