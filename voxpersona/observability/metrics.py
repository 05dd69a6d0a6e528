"""Prometheus metrics of one service: one :class:`Metrics` object owns its registry and is
passed down to whatever records (no module-level global registry, so two services in one
process — ``voxpersona dev``, the tests — keep separate counts).

A ``Metrics()`` that nobody serves is a harmless no-op, which is what components get by default.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from voxpersona.observability.recent import Failure, RecentActivity

MB = 1_000_000
# Processing-time bands by object size; the seed's KPI is about "10 MB files" (the 5–15 MB band).
SIZE_BANDS: tuple[tuple[int, str], ...] = (
    (1 * MB, "lt_1mb"),
    (5 * MB, "1_5mb"),
    (15 * MB, "5_15mb"),
    (50 * MB, "15_50mb"),
    (200 * MB, "50_200mb"),
)
TEN_MB_BAND = "5_15mb"
STAGES = ("download", "probe", "transcribe", "analyse", "store", "deliver")
_STAGE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600)
_MINIO_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


def size_band(size: int | None) -> str:
    """The label of the size band ``size`` bytes fall in."""
    if size is None or size < 0:
        return "unknown"
    for limit, label in SIZE_BANDS:
        if size < limit:
            return label
    return "ge_200mb"


class Metrics:
    """Every counter, histogram and gauge VoxPersona exports, plus the last hour in memory."""

    def __init__(
        self, registry: CollectorRegistry | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.registry = registry or CollectorRegistry()
        self.recent = RecentActivity()
        self._clock = clock
        r = self.registry
        self.minio_operations = Counter(
            "voxpersona_minio_operations",
            "MinIO operations by kind and outcome (ok, error).",
            ["operation", "outcome"],
            registry=r,
        )
        self.minio_duration = Histogram(
            "voxpersona_minio_operation_duration_seconds",
            "Duration of one MinIO operation attempt.",
            ["operation"],
            buckets=_MINIO_BUCKETS,
            registry=r,
        )
        self._uploads(r)
        self._events(r)
        self._queue(r)
        self.operator_alarms = Counter(
            "voxpersona_operator_alarms",
            "Failures only an operator can fix (a refused API key), by code.",
            ["code"],
            registry=r,
        )
        # Alarms raised and not yet cleared by a later success: code -> (when, detail).
        self.active_alarms: dict[str, tuple[float, str]] = {}

    def _uploads(self, r: CollectorRegistry) -> None:
        self.uploads_received = Counter(
            "voxpersona_uploads_received", "Recordings the bot received from users.", registry=r
        )
        self.uploads_stored = Counter(
            "voxpersona_uploads_stored", "Recordings stored in the audio bucket.", registry=r
        )
        self.uploads_rejected = Counter(
            "voxpersona_uploads_rejected",
            "Recordings not stored, by reason (too_big, not_audio, upload_failed, ...).",
            ["reason"],
            registry=r,
        )
        self.uploads_spooled = Counter(
            "voxpersona_uploads_spooled",
            "Recordings kept on the bot's disk while MinIO was unreachable.",
            registry=r,
        )

    def _events(self, r: CollectorRegistry) -> None:
        self.events_consumed = Counter(
            "voxpersona_events_consumed", "Bucket events taken from JetStream.", registry=r
        )
        self.events_acked = Counter(
            "voxpersona_events_acked",
            "Events acknowledged, by outcome (done, failed, duplicate, ignored, removed).",
            ["outcome"],
            registry=r,
        )
        self.events_naked = Counter(
            "voxpersona_events_naked",
            "Events handed back for redelivery, by code.",
            ["code"],
            registry=r,
        )
        self.events_terminated = Counter(
            "voxpersona_events_terminated", "Events terminated, by code.", ["code"], registry=r
        )
        self.events_dead_lettered = Counter(
            "voxpersona_events_dead_lettered",
            "Events moved to the dead-letter stream, by code.",
            ["code"],
            registry=r,
        )
        self.stage_duration = Histogram(
            "voxpersona_stage_duration_seconds",
            "Processing duration by stage (download, probe, transcribe, analyse, store, deliver).",
            ["stage"],
            buckets=_STAGE_BUCKETS,
            registry=r,
        )
        self.event_duration = Histogram(
            "voxpersona_event_processing_seconds",
            "Event processing from fetch to settlement, by object size band.",
            ["size_band"],
            buckets=_STAGE_BUCKETS,
            registry=r,
        )
        self.audio_seconds = Counter(
            "voxpersona_transcribed_audio_seconds", "Seconds of audio transcribed.", registry=r
        )

    def _queue(self, r: CollectorRegistry) -> None:
        self.queue_pending = Gauge(
            "voxpersona_queue_pending",
            "Messages not yet delivered to a durable consumer.",
            ["consumer"],
            registry=r,
        )
        self.queue_ack_pending = Gauge(
            "voxpersona_queue_ack_pending",
            "Messages delivered but not yet acknowledged.",
            ["consumer"],
            registry=r,
        )
        self.queue_redelivered = Gauge(
            "voxpersona_queue_redelivered",
            "Messages delivered more than once and not yet acknowledged.",
            ["consumer"],
            registry=r,
        )
        self.dead_letters = Gauge(
            "voxpersona_dead_letters", "Messages in the dead-letter stream.", registry=r
        )
        self.in_flight = Gauge(
            "voxpersona_events_in_flight", "Events being processed right now.", registry=r
        )
        self.dependency_up = Gauge(
            "voxpersona_dependency_up",
            "1 when the last check of a dependency passed, else 0.",
            ["dependency"],
            registry=r,
        )
        self.dependency_checks = Counter(
            "voxpersona_dependency_checks",
            "Periodic dependency checks by result (up, down); availability = up / all.",
            ["dependency", "result"],
            registry=r,
        )

    # -- recording ------------------------------------------------------------------------

    def now(self) -> float:
        return self._clock()

    def operation(self, operation: str, *, success: bool, duration: float) -> None:
        self.minio_operations.labels(operation, "ok" if success else "error").inc()
        self.minio_duration.labels(operation).observe(duration)

    def upload_rejected(self, reason: str, *, detail: str = "", key: str | None = None) -> None:
        self.uploads_rejected.labels(reason).inc()
        if reason == "upload_failed":
            self.recent.failure(Failure(self.now(), "upload", reason, detail, key))

    def stage(self, stage: str, seconds: float) -> None:
        self.stage_duration.labels(stage).observe(max(seconds, 0.0))

    def event_settled(
        self,
        action: str,
        *,
        code: str,
        seconds: float,
        size: int | None = None,
        reason: str = "",
        key: str | None = None,
    ) -> None:
        """One event ended: ``ack`` (code = outcome), ``nak``, ``term`` or ``dead_letter``."""
        ok = action == "ack" and code != "failed"
        if action == "ack":
            self.events_acked.labels(code).inc()
        elif action == "nak":
            self.events_naked.labels(code).inc()
        elif action == "term":
            self.events_terminated.labels(code).inc()
        else:
            self.events_dead_lettered.labels(code).inc()
        self.event_duration.labels(size_band(size)).observe(max(seconds, 0.0))
        now = self.now()
        self.recent.event_finished(now, seconds=seconds, ok=ok)
        if action != "ack":
            # Recordings that failed for good are listed from the index, with their reasons.
            self.recent.failure(Failure(now, action, code, reason, key))

    def queue_depth(
        self, consumer: str, *, pending: int, ack_pending: int, redelivered: int
    ) -> None:
        self.queue_pending.labels(consumer).set(pending)
        self.queue_ack_pending.labels(consumer).set(ack_pending)
        self.queue_redelivered.labels(consumer).set(redelivered)
        self.recent.queue_sampled(self.now(), pending + ack_pending)

    def alarm(self, code: str, detail: str) -> None:
        """An operator must act (e.g. ``transcriber_auth``): counted, listed as a recent
        failure and kept active until :meth:`alarm_cleared`."""
        self.operator_alarms.labels(code).inc()
        now = self.now()
        self.active_alarms[code] = (now, detail)
        self.recent.failure(Failure(now, "alarm", code, detail))

    def alarm_cleared(self, code: str) -> None:
        """The thing that raised ``code`` works again."""
        self.active_alarms.pop(code, None)

    def dependency_checked(self, dependency: str, *, up: bool) -> None:
        self.dependency_up.labels(dependency).set(1 if up else 0)
        self.dependency_checks.labels(dependency, "up" if up else "down").inc()

    def value(self, name: str, labels: dict[str, str] | None = None) -> float:
        """One sample's current value (0 when it was never recorded)."""
        found = self.registry.get_sample_value(name, labels or {})
        return found if found is not None else 0.0

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)


class PrometheusOperationRecorder:
    """Storage's ``OperationRecorder``, recording into :class:`Metrics`."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def record(self, operation: str, *, success: bool, duration: float) -> None:
        self._metrics.operation(operation, success=success, duration=duration)
