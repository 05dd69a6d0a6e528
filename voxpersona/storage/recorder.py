"""Counting and timing every MinIO operation, for metrics and the design's KPIs."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol


class OperationRecorder(Protocol):
    """Receives one call per MinIO operation attempt (a retried call counts each attempt)."""

    def record(self, operation: str, *, success: bool, duration: float) -> None: ...


class NullRecorder:
    """Records nothing."""

    def record(self, operation: str, *, success: bool, duration: float) -> None:
        return None


@dataclass(frozen=True, slots=True)
class OperationCounts:
    """Totals for one operation name."""

    successes: int = 0
    failures: int = 0
    total_seconds: float = 0.0
    max_seconds: float = 0.0

    @property
    def calls(self) -> int:
        return self.successes + self.failures

    def add(self, *, success: bool, duration: float) -> OperationCounts:
        return OperationCounts(
            successes=self.successes + (1 if success else 0),
            failures=self.failures + (0 if success else 1),
            total_seconds=self.total_seconds + duration,
            max_seconds=max(self.max_seconds, duration),
        )


class OperationStats:
    """An in-memory recorder: counts and durations per operation, safe across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, OperationCounts] = {}

    def record(self, operation: str, *, success: bool, duration: float) -> None:
        with self._lock:
            current = self._counts.get(operation, OperationCounts())
            self._counts[operation] = current.add(success=success, duration=duration)

    def get(self, operation: str) -> OperationCounts:
        with self._lock:
            return self._counts.get(operation, OperationCounts())

    def snapshot(self) -> dict[str, OperationCounts]:
        with self._lock:
            return dict(self._counts)
