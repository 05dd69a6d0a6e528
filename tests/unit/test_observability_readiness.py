"""Readiness: bounded checks, a brief cache, and availability samples in the metrics."""

from __future__ import annotations

import asyncio

from voxpersona.observability.health import Check, Status, ok
from voxpersona.observability.metrics import Metrics
from voxpersona.observability.readiness import Readiness


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_a_hung_or_broken_check_reports_down_and_is_counted() -> None:
    calls = {"n": 0}

    async def fine() -> Check:
        calls["n"] += 1
        return ok("ready", "yes")

    async def hangs() -> Check:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def breaks() -> Check:
        raise ConnectionResetError("peer went away")

    metrics = Metrics()
    clock = Clock()
    readiness = Readiness(
        {"minio": fine, "nats": hangs, "postgres": breaks},
        metrics,
        timeout=0.05,
        max_age=5,
        clock=clock,
    )
    report = await readiness.current()
    by_name = {d.name: d for d in report.dependencies}
    assert by_name["minio"].status is Status.OK
    assert by_name["nats"].checks[0].detail.startswith("no answer within")
    assert by_name["postgres"].status is Status.DOWN
    assert "peer went away" in by_name["postgres"].checks[0].detail
    assert report.status is Status.DOWN
    assert metrics.value("voxpersona_dependency_up", {"dependency": "minio"}) == 1
    assert metrics.value("voxpersona_dependency_up", {"dependency": "nats"}) == 0
    checks = "voxpersona_dependency_checks_total"
    assert metrics.value(checks, {"dependency": "postgres", "result": "down"}) == 1

    await readiness.current()
    assert calls["n"] == 1, "a fresh answer is reused"
    clock.now += 6
    await readiness.current()
    assert calls["n"] == 2, "a stale one is not"
