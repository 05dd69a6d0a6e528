"""Metrics, the last-hour ring and the status document: no I/O."""

from __future__ import annotations

import pytest

from voxpersona.logging import SecretRedactor
from voxpersona.observability.health import DependencyHealth, HealthReport, ok
from voxpersona.observability.http import ExposureError, check_exposure, is_loopback
from voxpersona.observability.metrics import Metrics, PrometheusOperationRecorder, size_band
from voxpersona.observability.recent import Failure, RecentActivity
from voxpersona.observability.status import build_status


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("size", "band"),
    [
        (None, "unknown"),
        (0, "lt_1mb"),
        (999_999, "lt_1mb"),
        (10_000_000, "5_15mb"),
        (10**9, "ge_200mb"),
    ],
)
def test_size_bands(size: int | None, band: str) -> None:
    assert size_band(size) == band


def test_two_metrics_objects_never_share_counts() -> None:
    a, b = Metrics(), Metrics()
    a.uploads_received.inc()
    assert a.value("voxpersona_uploads_received_total") == 1
    assert b.value("voxpersona_uploads_received_total") == 0


def test_storage_operations_are_counted_by_kind_and_outcome() -> None:
    metrics = Metrics()
    recorder = PrometheusOperationRecorder(metrics)
    recorder.record("put_object", success=True, duration=0.2)
    recorder.record("put_object", success=False, duration=1.5)
    recorder.record("stat_object", success=True, duration=0.01)
    ops = "voxpersona_minio_operations_total"
    assert metrics.value(ops, {"operation": "put_object", "outcome": "ok"}) == 1
    assert metrics.value(ops, {"operation": "put_object", "outcome": "error"}) == 1
    hist = "voxpersona_minio_operation_duration_seconds"
    assert metrics.value(f"{hist}_count", {"operation": "put_object"}) == 2
    assert metrics.value(f"{hist}_sum", {"operation": "put_object"}) == pytest.approx(1.7)
    assert b'voxpersona_minio_operations_total{operation="stat_object",outcome="ok"} 1.0' in (
        metrics.exposition()
    )


def test_settled_events_feed_counters_and_the_last_hour() -> None:
    clock = Clock()
    metrics = Metrics(clock=clock)
    metrics.event_settled("ack", code="done", seconds=3.0, size=10_000_000)
    metrics.event_settled("ack", code="failed", seconds=1.0, size=100, reason="no_speech", key="k1")
    metrics.event_settled("nak", code="storage_unavailable", seconds=0.5, reason="503", key="k2")
    metrics.event_settled("dead_letter", code="retries_exhausted", seconds=0.1)
    assert metrics.value("voxpersona_events_acked_total", {"outcome": "done"}) == 1
    assert metrics.value("voxpersona_events_naked_total", {"code": "storage_unavailable"}) == 1
    assert (
        metrics.value("voxpersona_events_dead_lettered_total", {"code": "retries_exhausted"}) == 1
    )
    band = {"size_band": "5_15mb"}
    assert metrics.value("voxpersona_event_processing_seconds_sum", band) == 3.0
    snapshot = metrics.recent.snapshot(clock.now)
    assert (snapshot.done, snapshot.failed) == (1, 3)
    assert [(f.source, f.code) for f in snapshot.failures] == [
        ("dead_letter", "retries_exhausted"),
        ("nak", "storage_unavailable"),
    ]


def test_the_ring_forgets_what_is_older_than_an_hour() -> None:
    ring = RecentActivity()
    start = 1_800_000_000.0
    ring.event_finished(start, seconds=2.0, ok=True)
    ring.failure(Failure(start, "nak", "x", "old"))
    ring.queue_sampled(start + 30, 7)
    snapshot = ring.snapshot(start + 59)
    assert len(snapshot.minutes) == 60
    assert snapshot.minutes[-1].done == 1
    assert snapshot.minutes[-1].avg_latency == 2.0
    assert snapshot.minutes[-1].queue_depth == 7
    assert snapshot.minutes[0].done == 0
    later = ring.snapshot(start + 3600)
    assert later.done == 0
    assert later.failures == []


def test_latency_is_averaged_per_minute() -> None:
    ring = RecentActivity()
    t = 1_800_000_000.0
    ring.event_finished(t, seconds=1.0, ok=True)
    ring.event_finished(t + 5, seconds=3.0, ok=False)
    ring.event_finished(t + 61, seconds=10.0, ok=True)
    points = ring.snapshot(t + 61).minutes
    assert (points[-2].avg_latency, points[-2].done, points[-2].failed) == (2.0, 1, 1)
    assert points[-1].avg_latency == 10.0


def test_status_document_carries_queue_totals_and_redacted_failures() -> None:
    clock = Clock()
    metrics = Metrics(clock=clock)
    metrics.queue_depth("reactor", pending=4, ack_pending=2, redelivered=1)
    metrics.dead_letters.set(3)
    metrics.events_consumed.inc(5)
    metrics.event_settled(
        "nak", code="transcriber_auth", seconds=1, reason="key sk-secret-1234 rejected"
    )
    health = HealthReport((DependencyHealth("nats", (ok("ready", "connected"),)),))
    doc = build_status(
        service="reactor",
        now=clock.now,
        health=health,
        metrics=metrics,
        consumer="reactor",
        storage=None,
        redactor=SecretRedactor(["sk-secret-1234"]),
    )
    assert doc["queue"] == {
        "pending": 4,
        "ack_pending": 2,
        "redelivered": 1,
        "dead_letters": 3,
        "in_flight": 0,
    }
    assert doc["totals"]["consumed"] == 5
    assert doc["totals"]["naked"] == 1
    assert doc["health"]["status"] == "ok"
    [failure] = doc["last_hour"]["failures"]
    assert failure["reason"] == "key [REDACTED] rejected"
    assert doc["last_hour"]["minutes"][-1]["queue_depth"] == 6


def test_http_exposure_rules() -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    check_exposure("127.0.0.1", None)
    check_exposure("0.0.0.0", "a-token")
    with pytest.raises(ExposureError, match="VOXPERSONA_STATUS_TOKEN"):
        check_exposure("0.0.0.0", None)
