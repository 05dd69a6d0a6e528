"""The last hour at a glance: per-minute throughput, latency and queue depth, and the most
recent failures with their reasons. Pure and in memory; the clock is passed in."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

MINUTE = 60.0
WINDOW_MINUTES = 60
MAX_FAILURES = 50


@dataclass(slots=True)
class _Minute:
    start: float
    done: int = 0
    failed: int = 0
    latency_sum: float = 0.0
    latency_count: int = 0
    queue_depth: int | None = None


@dataclass(frozen=True, slots=True)
class MinutePoint:
    """One minute of the chart; ``avg_latency`` and ``queue_depth`` are None when unmeasured."""

    start: float
    done: int
    failed: int
    avg_latency: float | None
    queue_depth: int | None


@dataclass(frozen=True, slots=True)
class Failure:
    """Something that went wrong, as an operator should read it."""

    at: float
    source: str
    code: str
    reason: str
    key: str | None = None


@dataclass(frozen=True, slots=True)
class RecentSnapshot:
    """The last hour, oldest minute first, and the failures of that hour, newest first."""

    minutes: list[MinutePoint]
    failures: list[Failure] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(m.done for m in self.minutes)

    @property
    def failed(self) -> int:
        return sum(m.failed for m in self.minutes)


class RecentActivity:
    """A ring of minute buckets plus a bounded list of failures."""

    def __init__(self, *, window_minutes: int = WINDOW_MINUTES) -> None:
        self._window = window_minutes
        self._minutes: deque[_Minute] = deque(maxlen=window_minutes)
        self._failures: deque[Failure] = deque(maxlen=MAX_FAILURES)

    def _bucket(self, at: float) -> _Minute:
        start = at - at % MINUTE
        if self._minutes and self._minutes[-1].start == start:
            return self._minutes[-1]
        if self._minutes and self._minutes[-1].start > start:
            # A clock that stepped back: count it in the newest minute rather than reorder.
            return self._minutes[-1]
        bucket = _Minute(start)
        self._minutes.append(bucket)
        return bucket

    def event_finished(self, at: float, *, seconds: float, ok: bool) -> None:
        """An event was settled: processed (``ok``) or failed, after ``seconds``."""
        bucket = self._bucket(at)
        if ok:
            bucket.done += 1
        else:
            bucket.failed += 1
        bucket.latency_sum += seconds
        bucket.latency_count += 1

    def queue_sampled(self, at: float, depth: int) -> None:
        """The latest queue depth seen in this minute."""
        self._bucket(at).queue_depth = depth

    def failure(self, failure: Failure) -> None:
        self._failures.append(failure)

    def snapshot(self, now: float) -> RecentSnapshot:
        """Every minute of the window (empty minutes included), oldest first."""
        current = now - now % MINUTE
        by_start = {m.start: m for m in self._minutes}
        points = []
        for index in range(self._window - 1, -1, -1):
            start = current - index * MINUTE
            m = by_start.get(start)
            if m is None:
                points.append(MinutePoint(start, 0, 0, None, None))
                continue
            avg = m.latency_sum / m.latency_count if m.latency_count else None
            points.append(MinutePoint(start, m.done, m.failed, avg, m.queue_depth))
        oldest = current - (self._window - 1) * MINUTE
        failures = [f for f in reversed(self._failures) if f.at >= oldest]
        return RecentSnapshot(points, failures)
