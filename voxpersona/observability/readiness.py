"""Is a running service's every dependency usable right now? Cheap checks over the
connections the service already holds, cached briefly, sampled periodically into metrics
(``voxpersona_dependency_checks_total`` is where MinIO's availability KPI comes from)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping

import aiohttp
import asyncpg
from nats.aio.client import Client as NatsClient

from voxpersona.observability.health import (
    Check,
    DependencyHealth,
    HealthReport,
    Status,
    degraded,
    down,
    ok,
)
from voxpersona.observability.metrics import Metrics
from voxpersona.observability.probes.minio_probe import (
    base_url,
    describe_transport_error,
    ssl_context,
)
from voxpersona.settings import MinioSettings

ReadyCheck = Callable[[], Awaitable[Check]]


class Readiness:
    """Runs named checks (each bounded by ``timeout``) and remembers the answer ``max_age``."""

    def __init__(
        self,
        checks: Mapping[str, ReadyCheck],
        metrics: Metrics,
        *,
        timeout: float = 3.0,
        max_age: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._checks = dict(checks)
        self._metrics = metrics
        self._timeout = timeout
        self._max_age = max_age
        self._clock = clock
        self._last: tuple[float, HealthReport] | None = None
        self._lock = asyncio.Lock()

    async def _one(self, name: str, check: ReadyCheck) -> DependencyHealth:
        try:
            async with asyncio.timeout(self._timeout):
                result = await check()
        except TimeoutError:
            result = down("ready", f"no answer within {self._timeout:.0f}s")
        except Exception as exc:  # a readiness check must answer, whatever broke
            result = down("ready", f"{type(exc).__name__}: {exc}")
        self._metrics.dependency_checked(name, up=result.status is not Status.DOWN)
        return DependencyHealth(name, (result,))

    async def run(self) -> HealthReport:
        """Check everything now."""
        results = await asyncio.gather(*(self._one(n, c) for n, c in self._checks.items()))
        report = HealthReport(tuple(results))
        self._last = (self._clock(), report)
        return report

    async def current(self) -> HealthReport:
        """The last answer if fresh, else a new one (concurrent callers share one run)."""
        async with self._lock:
            if self._last is not None and self._clock() - self._last[0] < self._max_age:
                return self._last[1]
            return await self.run()

    async def watch(self, interval: float) -> None:
        """Sample every ``interval`` seconds until cancelled."""
        while True:
            with contextlib.suppress(Exception):
                async with self._lock:
                    await self.run()
            await asyncio.sleep(interval)


def nats_check(nc: NatsClient) -> ReadyCheck:
    async def check() -> Check:
        if nc.is_connected:
            return ok("ready", "connected")
        if nc.is_reconnecting:
            return down("ready", "reconnecting")
        return down("ready", "not connected")

    return check


def postgres_check(pool: asyncpg.Pool) -> ReadyCheck:
    async def check() -> Check:
        await pool.fetchval("SELECT 1")
        return ok("ready", "query answered")

    return check


def minio_check(settings: MinioSettings) -> ReadyCheck:
    """MinIO's own readiness endpoint (no credentials, cancellable, cheap)."""
    url = f"{base_url(settings)}/minio/health/ready"
    verify = ssl_context(settings)

    async def check() -> Check:
        try:
            async with aiohttp.ClientSession() as session, session.get(url, ssl=verify) as resp:
                if resp.status == 200:
                    return ok("ready", "ready")
                return down("ready", f"HTTP {resp.status}")
        except (aiohttp.ClientError, OSError) as exc:
            return down("ready", describe_transport_error(exc))

    return check


def loaded_check(facts: dict[str, str]) -> ReadyCheck:
    """A dependency made usable once at start-up (the transcription engine and its model):
    ready for the life of the process; reports what was loaded."""
    detail = " ".join(f"{key}={value}" for key, value in facts.items())

    async def check() -> Check:
        return ok("loaded", detail, **facts)

    return check


def alarm_check(metrics: Metrics) -> ReadyCheck:
    """Degraded while an operator alarm (a refused API key) is active: work is held back, not
    failed, until someone fixes the cause."""

    async def check() -> Check:
        if not metrics.active_alarms:
            return ok("alarms", "none")
        codes = sorted(metrics.active_alarms)
        detail = "; ".join(f"{code}: {metrics.active_alarms[code][1]}" for code in codes)
        return degraded("alarms", detail, alarms=codes)

    return check


def service_checks(
    minio: MinioSettings, nc: NatsClient, pool: asyncpg.Pool
) -> dict[str, ReadyCheck]:
    """What both services need to be ready: MinIO, NATS and PostgreSQL."""
    return {"minio": minio_check(minio), "nats": nats_check(nc), "postgres": postgres_check(pool)}
