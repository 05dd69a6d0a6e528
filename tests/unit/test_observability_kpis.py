"""The seed's KPIs from the exposition text real :class:`Metrics` objects produce."""

from __future__ import annotations

from datetime import date

import pytest

from voxpersona.observability.kpis import Samples, compute, render
from voxpersona.observability.metrics import Metrics
from voxpersona.observability.usage import DayUsage, ProcessingTimes, StorageUsage, UserUsage


def bot_and_reactor() -> Samples:
    bot, reactor = Metrics(), Metrics()
    bot.uploads_received.inc(100)
    bot.uploads_stored.inc(97)
    bot.upload_rejected("upload_failed")
    bot.upload_rejected("not_audio")
    bot.upload_rejected("not_audio")
    for _ in range(999):
        reactor.dependency_checked("minio", up=True)
    reactor.dependency_checked("minio", up=False)
    reactor.operation("fget_object", success=True, duration=0.5)
    reactor.operation("fget_object", success=False, duration=0.5)
    reactor.operation("put_object", success=True, duration=0.1)
    reactor.events_consumed.inc(10)
    for seconds in (20.0, 40.0):
        reactor.event_settled("ack", code="done", seconds=seconds, size=10_000_000)
    reactor.event_settled("nak", code="storage_unavailable", seconds=1.0, size=10)
    reactor.stage("transcribe", 12.0)
    samples = Samples()
    samples.add_text(bot.exposition().decode())
    samples.add_text(reactor.exposition().decode())
    return samples


STORAGE = StorageUsage(
    recordings=3,
    users=2,
    bytes=30_000_000,
    per_day=[DayUsage(date(2026, 1, 1), 1, 10_000_000), DayUsage(date(2026, 1, 3), 2, 20_000_000)],
    top_users=[UserUsage(7, 2, 20_000_000), UserUsage(8, 1, 10_000_000)],
)


def test_kpis_from_scraped_metrics() -> None:
    report = compute(bot_and_reactor(), storage=STORAGE, index_times=None)
    kpis = {k.name: k for k in report.kpis}
    upload = kpis["upload success rate"]
    assert upload.value == pytest.approx(97 / 98)
    assert upload.met is True
    processing = kpis["processing time, 5-15 MB files"]
    assert processing.value == pytest.approx(30.0)
    assert processing.met is False  # 30 s is not under 30 s
    assert "12.0 s" in processing.detail
    availability = kpis["MinIO availability"]
    assert availability.value == pytest.approx(0.999)
    assert availability.met is False
    assert kpis["event error rate"].value == pytest.approx(0.1)
    # Three days from the first upload to the last, the quiet one included.
    assert kpis["storage growth per day"].value == 10_000_000
    assert report.error_rates == {"fget_object": (2, 0.5), "put_object": (1, 0.0)}
    assert report.uploads_rejected == {"not_audio": 2, "upload_failed": 1}


def test_nothing_measured_is_not_a_pass() -> None:
    report = compute(Samples(), storage=None, index_times=None)
    assert all(k.met is None for k in report.kpis)
    assert all(k.shown == "n/a" for k in report.kpis)


def test_processing_time_falls_back_to_the_index() -> None:
    report = compute(Samples(), storage=None, index_times=ProcessingTimes(4, 12.5))
    [processing] = [k for k in report.kpis if k.name.startswith("processing")]
    assert processing.value == 12.5
    assert processing.met is True
    assert "4 recordings in the index" in processing.detail


def test_rendered_report_names_every_kpi_and_section() -> None:
    text = render(
        compute(bot_and_reactor(), storage=STORAGE, index_times=None, sources=["x: read"])
    )
    for needle in (
        "upload success rate",
        "99.0%",
        "MISSED",
        "fget_object",
        "50.00% of 2",
        "2026-01-03",
        "largest users:",
        "sources: x: read",
    ):
        assert needle in text
