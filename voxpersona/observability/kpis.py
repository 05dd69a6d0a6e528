"""The seed design's KPIs, derived from scraped Prometheus samples and the recordings index.
Pure: parsing of the exposition text and arithmetic, no I/O."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from voxpersona.observability.health import human_bytes
from voxpersona.observability.metrics import TEN_MB_BAND
from voxpersona.observability.usage import ProcessingTimes, StorageUsage

Labels = frozenset[tuple[str, str]]


class Samples:
    """Sample values summed over every scraped endpoint (several reactors add up)."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, Labels], float] = defaultdict(float)

    def add_text(self, text: str) -> None:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                self._values[(sample.name, frozenset(sample.labels.items()))] += sample.value

    def get(self, name: str, **labels: str) -> float:
        """The sum over every series of ``name`` whose labels include ``labels``."""
        wanted = set(labels.items())
        return sum(v for (n, ls), v in self._values.items() if n == name and wanted <= ls)

    def label_values(self, name: str, label: str) -> list[str]:
        found = {dict(ls).get(label) for (n, ls) in self._values if n == name}
        return sorted(v for v in found if v is not None)


@dataclass(frozen=True, slots=True)
class Kpi:
    """One KPI: its value (None when nothing was measured), target and whether it is met."""

    name: str
    value: float | None
    shown: str
    target: str
    met: bool | None
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "shown": self.shown,
            "target": self.target,
            "met": self.met,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class KpiReport:
    kpis: list[Kpi]
    error_rates: dict[str, tuple[int, float]] = field(default_factory=dict)
    uploads_rejected: dict[str, int] = field(default_factory=dict)
    storage: StorageUsage | None = None
    sources: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kpis": [k.as_dict() for k in self.kpis],
            "error_rates": {
                op: {"calls": calls, "error_rate": rate}
                for op, (calls, rate) in self.error_rates.items()
            },
            "uploads_rejected": self.uploads_rejected,
            "storage": self.storage.as_dict() if self.storage is not None else None,
            "sources": self.sources,
        }


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole > 0 else None


def _percent(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"


def upload_success(samples: Samples) -> Kpi:
    stored = samples.get("voxpersona_uploads_stored_total")
    failed = samples.get("voxpersona_uploads_rejected_total", reason="upload_failed")
    rate = _ratio(stored, stored + failed)
    detail = f"{int(stored)} stored, {int(failed)} failed to store"
    met = None if rate is None else rate > 0.98
    return Kpi("upload success rate", rate, _percent(rate), "> 98%", met, detail)


def ten_mb_processing(samples: Samples, index: ProcessingTimes | None) -> Kpi:
    band = {"size_band": TEN_MB_BAND}
    count = samples.get("voxpersona_event_processing_seconds_count", **band)
    mean = _ratio(samples.get("voxpersona_event_processing_seconds_sum", **band), count)
    source = f"{int(count)} events since the reactors started"
    if mean is None and index is not None and index.count:
        mean, source = index.mean_seconds, f"{index.count} recordings in the index (7 days)"
    transcribe = _ratio(
        samples.get("voxpersona_stage_duration_seconds_sum", stage="transcribe"),
        samples.get("voxpersona_stage_duration_seconds_count", stage="transcribe"),
    )
    detail = source
    if transcribe is not None:
        detail += f"; the transcriber's own share: {transcribe:.1f} s mean per call"
    shown = "n/a" if mean is None else f"{mean:.1f} s"
    met = None if mean is None else mean < 30
    return Kpi("processing time, 5-15 MB files", mean, shown, "< 30 s", met, detail)


def minio_availability(samples: Samples) -> Kpi:
    up = samples.get("voxpersona_dependency_checks_total", dependency="minio", result="up")
    down = samples.get("voxpersona_dependency_checks_total", dependency="minio", result="down")
    share = _ratio(up, up + down)
    met = None if share is None else share > 0.999
    detail = f"{int(up + down)} periodic checks"
    return Kpi("MinIO availability", share, _percent(share, 2), "> 99.9%", met, detail)


def event_failure_rate(samples: Samples) -> Kpi:
    consumed = samples.get("voxpersona_events_consumed_total")
    failed = (
        samples.get("voxpersona_events_acked_total", outcome="failed")
        + samples.get("voxpersona_events_naked_total")
        + samples.get("voxpersona_events_terminated_total")
        + samples.get("voxpersona_events_dead_lettered_total")
    )
    rate = _ratio(failed, consumed)
    detail = f"{int(failed)} of {int(consumed)} deliveries failed, retried or gave up"
    return Kpi("event error rate", rate, _percent(rate), "(lower is better)", None, detail)


def storage_kpi(storage: StorageUsage | None) -> Kpi:
    if storage is None:
        return Kpi("storage growth per day", None, "n/a", "(trend)", None, "index unreachable")
    per_day = storage.growth_per_day
    detail = (
        f"{human_bytes(storage.bytes)} in {storage.recordings} recordings of {storage.users} users"
    )
    return Kpi("storage growth per day", per_day, human_bytes(per_day), "(trend)", None, detail)


def error_rates(samples: Samples) -> dict[str, tuple[int, float]]:
    """Per MinIO operation: calls and the share that failed."""
    name = "voxpersona_minio_operations_total"
    rates = {}
    for operation in samples.label_values(name, "operation"):
        ok = samples.get(name, operation=operation, outcome="ok")
        failed = samples.get(name, operation=operation, outcome="error")
        rates[operation] = (int(ok + failed), (failed / (ok + failed)) if ok + failed else 0.0)
    return rates


def rejected_by_reason(samples: Samples) -> dict[str, int]:
    name = "voxpersona_uploads_rejected_total"
    return {r: int(samples.get(name, reason=r)) for r in samples.label_values(name, "reason")}


def compute(
    samples: Samples,
    *,
    storage: StorageUsage | None,
    index_times: ProcessingTimes | None,
    sources: Iterable[str] = (),
) -> KpiReport:
    return KpiReport(
        kpis=[
            upload_success(samples),
            ten_mb_processing(samples, index_times),
            minio_availability(samples),
            event_failure_rate(samples),
            storage_kpi(storage),
        ],
        error_rates=error_rates(samples),
        uploads_rejected=rejected_by_reason(samples),
        storage=storage,
        sources=list(sources),
    )


def _mark(met: bool | None) -> str:
    return {True: "met", False: "MISSED", None: ""}[met]


def render(report: KpiReport) -> str:
    """The report as an operator reads it in a terminal."""
    width = max(len(k.name) for k in report.kpis)
    lines = ["KPI".ljust(width) + "  value       target    status  detail"]
    for k in report.kpis:
        lines.append(
            f"{k.name.ljust(width)}  {k.shown:<10}  {k.target:<8}  {_mark(k.met):<6}  {k.detail}"
        )
    lines += ["", "MinIO error rate by operation:"]
    lines += _rows(
        {op: f"{rate:.2%} of {calls}" for op, (calls, rate) in report.error_rates.items()}
    )
    lines += ["", "uploads rejected by reason:"]
    lines += _rows({r: str(n) for r, n in report.uploads_rejected.items()})
    if report.storage is not None:
        lines += ["", "storage added per day (UTC):"]
        lines += _rows(
            {
                d.day.isoformat(): f"{human_bytes(d.bytes)} in {d.recordings}"
                for d in report.storage.per_day
            }
        )
        lines += ["", "largest users:"]
        lines += _rows(
            {
                str(u.user_id): f"{human_bytes(u.bytes)} in {u.recordings}"
                for u in report.storage.top_users
            }
        )
    lines += ["", "sources: " + ("; ".join(report.sources) or "none")]
    return "\n".join(lines)


def _rows(values: Mapping[str, str]) -> list[str]:
    if not values:
        return ["  (none)"]
    width = max(len(k) for k in values)
    return [f"  {k.ljust(width)}  {v}" for k, v in values.items()]
