"""The document behind ``/api/status`` (and so the status page): pure assembly from what the
service already knows — readiness, metrics, the last hour, storage usage, the passage index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from voxpersona.logging import SecretRedactor
from voxpersona.observability.health import HealthReport
from voxpersona.observability.metrics import Metrics
from voxpersona.observability.recent import MAX_FAILURES, Failure, RecentSnapshot
from voxpersona.observability.usage import StorageUsage
from voxpersona.passages.store import IndexStats


def _sum(metrics: Metrics, family: str) -> float:
    """A counter family summed over its labels."""
    total = 0.0
    for collected in metrics.registry.collect():
        if collected.name == family:
            total += sum(s.value for s in collected.samples if s.name == f"{family}_total")
    return total


def queue_numbers(metrics: Metrics, consumer: str) -> dict[str, int]:
    labels = {"consumer": consumer}
    return {
        "pending": int(metrics.value("voxpersona_queue_pending", labels)),
        "ack_pending": int(metrics.value("voxpersona_queue_ack_pending", labels)),
        "redelivered": int(metrics.value("voxpersona_queue_redelivered", labels)),
        "dead_letters": int(metrics.value("voxpersona_dead_letters")),
        "in_flight": int(metrics.value("voxpersona_events_in_flight")),
    }


def event_totals(metrics: Metrics) -> dict[str, int]:
    return {
        "consumed": int(metrics.value("voxpersona_events_consumed_total")),
        "acked": int(_sum(metrics, "voxpersona_events_acked")),
        "naked": int(_sum(metrics, "voxpersona_events_naked")),
        "terminated": int(_sum(metrics, "voxpersona_events_terminated")),
        "dead_lettered": int(_sum(metrics, "voxpersona_events_dead_lettered")),
    }


def recent_document(
    recent: RecentSnapshot, redactor: SecretRedactor, extra_failures: Sequence[Failure] = ()
) -> dict[str, Any]:
    failures = sorted([*recent.failures, *extra_failures], key=lambda f: f.at, reverse=True)
    return {
        "done": recent.done,
        "failed": recent.failed,
        "minutes": [
            {
                "start": m.start,
                "done": m.done,
                "failed": m.failed,
                "avg_latency": None if m.avg_latency is None else round(m.avg_latency, 3),
                "queue_depth": m.queue_depth,
            }
            for m in recent.minutes
        ],
        "failures": [
            {
                "at": f.at,
                "source": f.source,
                "code": f.code,
                "reason": redactor.redact(f.reason),
                "key": f.key,
            }
            for f in failures[:MAX_FAILURES]
        ],
    }


def build_status(
    *,
    service: str,
    now: float,
    health: HealthReport,
    metrics: Metrics,
    consumer: str,
    storage: StorageUsage | None,
    redactor: SecretRedactor,
    failed_recordings: Sequence[Failure] = (),
    passage_index: IndexStats | None = None,
) -> dict[str, Any]:
    """Everything the page shows, as plain JSON."""
    return {
        "service": service,
        "generated_at": now,
        "health": health.as_dict(),
        "queue": queue_numbers(metrics, consumer),
        "totals": event_totals(metrics),
        "last_hour": recent_document(metrics.recent.snapshot(now), redactor, failed_recordings),
        "storage": storage.as_dict() if storage is not None else None,
        "passage_index": asdict(passage_index) if passage_index is not None else None,
    }
