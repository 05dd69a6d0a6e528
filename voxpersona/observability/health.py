"""Health results and their aggregation: pure, no I/O.

A dependency's probe returns :class:`Check` results; a dependency is as healthy as its worst
check, and the whole system as healthy as its worst dependency. ``voxpersona health`` exits
with :func:`exit_code`: 0 healthy, 1 degraded, 2 down.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    DOWN = "down"


_RANK = {Status.OK: 0, Status.DEGRADED: 1, Status.DOWN: 2}


def worst(statuses: Iterable[Status]) -> Status:
    """The worst of ``statuses``; OK when there are none."""
    return max(statuses, key=_RANK.__getitem__, default=Status.OK)


@dataclass(frozen=True, slots=True)
class Check:
    """One fact about a dependency: what was checked, how it went, and the numbers seen."""

    name: str
    status: Status
    detail: str
    facts: Mapping[str, Any] = field(default_factory=dict)


def ok(name: str, detail: str, **facts: Any) -> Check:
    return Check(name, Status.OK, detail, facts)


def degraded(name: str, detail: str, **facts: Any) -> Check:
    return Check(name, Status.DEGRADED, detail, facts)


def down(name: str, detail: str, **facts: Any) -> Check:
    return Check(name, Status.DOWN, detail, facts)


@dataclass(frozen=True, slots=True)
class DependencyHealth:
    """All checks of one dependency."""

    name: str
    checks: tuple[Check, ...]

    @property
    def status(self) -> Status:
        return worst(c.status for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": str(self.status),
            "checks": [
                {"name": c.name, "status": str(c.status), "detail": c.detail, **dict(c.facts)}
                for c in self.checks
            ],
        }


@dataclass(frozen=True, slots=True)
class HealthReport:
    """Every dependency, and the overall verdict."""

    dependencies: tuple[DependencyHealth, ...]

    @property
    def status(self) -> Status:
        return worst(d.status for d in self.dependencies)

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "exit_code": exit_code(self.status),
            "dependencies": [d.as_dict() for d in self.dependencies],
        }


def exit_code(status: Status) -> int:
    """0 healthy, 1 degraded, 2 down."""
    return _RANK[status]


@dataclass(frozen=True, slots=True)
class QueueLimits:
    """When a backlog counts as degraded."""

    pending: int = 100
    ack_pending: int = 50
    redelivered: int = 10


def judge_queue(
    name: str,
    *,
    pending: int,
    ack_pending: int,
    redelivered: int,
    waiting: int,
    limits: QueueLimits | None = None,
) -> Check:
    """A durable consumer's state as a check: a large backlog or many redeliveries degrade."""
    limits = limits or QueueLimits()
    facts = {
        "pending": pending,
        "ack_pending": ack_pending,
        "redelivered": redelivered,
        "waiting": waiting,
    }
    problems = []
    if pending > limits.pending:
        problems.append(f"{pending} events waiting (more than {limits.pending})")
    if ack_pending > limits.ack_pending:
        problems.append(f"{ack_pending} unacknowledged (more than {limits.ack_pending})")
    if redelivered > limits.redelivered:
        problems.append(f"{redelivered} redelivered (more than {limits.redelivered})")
    summary = f"pending {pending}, ack-pending {ack_pending}, redelivered {redelivered}"
    if problems:
        return Check(name, Status.DEGRADED, "; ".join(problems), facts)
    return Check(name, Status.OK, summary, facts)


def judge_capacity(free: float | None, total: float | None) -> Check:
    """MinIO's free usable capacity: below 10 % degraded, below 2 % down."""
    if free is None or not total:
        return ok("capacity", "not reported by the server")
    share = free / total
    facts = {"free_bytes": int(free), "total_bytes": int(total), "free_ratio": round(share, 4)}
    detail = f"{human_bytes(free)} free of {human_bytes(total)} ({share:.0%})"
    if share < 0.02:
        return Check("capacity", Status.DOWN, f"almost full: {detail}", facts)
    if share < 0.10:
        return Check("capacity", Status.DEGRADED, f"running out: {detail}", facts)
    return Check("capacity", Status.OK, detail, facts)


def judge_migrations(current: int, expected: int | None) -> Check:
    """The schema's migration level against the one this code ships."""
    facts = {"version": current, "expected": expected}
    if current == 0:
        return Check("migrations", Status.DOWN, "schema not created: start the reactor", facts)
    if expected is None or current == expected:
        return Check("migrations", Status.OK, f"version {current}", facts)
    if current < expected:
        detail = f"version {current}, {expected - current} migration(s) pending: start the reactor"
        return Check("migrations", Status.DEGRADED, detail, facts)
    detail = f"version {current} is newer than this release knows ({expected})"
    return Check("migrations", Status.DEGRADED, detail, facts)


def human_bytes(value: float) -> str:
    """1536 -> '1.5 KiB'."""
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} PiB"  # pragma: no cover - loop always returns
