"""Storage usage and processing times from the recordings index in PostgreSQL.

The index knows every recording's size, owner and times, across all reactors and restarts,
so usage, growth per day and the "10 MB file" processing time come from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import asyncpg

from voxpersona.observability.metrics import MB
from voxpersona.observability.recent import Failure


@dataclass(frozen=True, slots=True)
class UserUsage:
    user_id: int
    recordings: int
    bytes: int


@dataclass(frozen=True, slots=True)
class DayUsage:
    day: date
    recordings: int
    bytes: int


@dataclass(frozen=True, slots=True)
class StorageUsage:
    """Audio still in the bucket (per the index), and what was added each recent day."""

    recordings: int
    users: int
    bytes: int
    per_day: list[DayUsage] = field(default_factory=list)
    top_users: list[UserUsage] = field(default_factory=list)

    @property
    def growth_per_day(self) -> float:
        """Mean bytes added per day from the first to the last day with uploads (gaps count)."""
        if not self.per_day:
            return 0.0
        span = (self.per_day[-1].day - self.per_day[0].day).days + 1
        return sum(d.bytes for d in self.per_day) / span

    def as_dict(self) -> dict[str, Any]:
        return {
            "recordings": self.recordings,
            "users": self.users,
            "bytes": self.bytes,
            "growth_per_day": round(self.growth_per_day),
            "per_day": [
                {"day": d.day.isoformat(), "recordings": d.recordings, "bytes": d.bytes}
                for d in self.per_day
            ],
            "top_users": [
                {"user_id": u.user_id, "recordings": u.recordings, "bytes": u.bytes}
                for u in self.top_users
            ],
        }


@dataclass(frozen=True, slots=True)
class ProcessingTimes:
    """Completed recordings of about 10 MB (5–15 MB) over the window: count and mean seconds."""

    count: int
    mean_seconds: float | None


_TOTALS = (
    "SELECT count(*) AS recordings, count(DISTINCT user_id) AS users,"
    " coalesce(sum(size_bytes), 0)::bigint AS bytes FROM recordings WHERE audio_state = 'present'"
)
_PER_DAY = (
    "SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS recordings,"
    " coalesce(sum(size_bytes), 0)::bigint AS bytes FROM recordings"
    " WHERE created_at >= now() - make_interval(days => $1) GROUP BY 1 ORDER BY 1"
)
_TOP_USERS = (
    "SELECT user_id, count(*) AS recordings, coalesce(sum(size_bytes), 0)::bigint AS bytes"
    " FROM recordings WHERE audio_state = 'present' GROUP BY user_id"
    " ORDER BY bytes DESC, user_id LIMIT $1"
)
_TEN_MB = (
    "SELECT count(*) AS n, avg(extract(epoch FROM completed_at - created_at)) AS mean"
    " FROM recordings WHERE status = 'done' AND size_bytes >= $1 AND size_bytes < $2"
    " AND completed_at >= now() - make_interval(days => $3)"
)


_FAILED = (
    "SELECT object_key, failure_code, failure_reason,"
    " extract(epoch FROM completed_at)::float8 AS at FROM recordings"
    " WHERE status = 'failed' AND completed_at >= now() - interval '1 hour'"
    " ORDER BY completed_at DESC LIMIT $1"
)


async def storage_usage(
    conn: asyncpg.Connection | asyncpg.Pool, *, days: int = 14, top: int = 10
) -> StorageUsage:
    totals = await conn.fetchrow(_TOTALS)
    per_day = await conn.fetch(_PER_DAY, days)
    users = await conn.fetch(_TOP_USERS, top)
    return StorageUsage(
        recordings=totals["recordings"],
        users=totals["users"],
        bytes=totals["bytes"],
        per_day=[DayUsage(r["day"], r["recordings"], r["bytes"]) for r in per_day],
        top_users=[UserUsage(r["user_id"], r["recordings"], r["bytes"]) for r in users],
    )


async def ten_mb_processing(
    conn: asyncpg.Connection | asyncpg.Pool, *, days: int = 7
) -> ProcessingTimes:
    row = await conn.fetchrow(_TEN_MB, 5 * MB, 15 * MB, days)
    mean = row["mean"]
    return ProcessingTimes(row["n"], float(mean) if mean is not None else None)


async def failed_recordings(
    conn: asyncpg.Connection | asyncpg.Pool, *, limit: int = 20
) -> list[Failure]:
    """Recordings that failed for good in the last hour, with the reason users were told."""
    rows = await conn.fetch(_FAILED, limit)
    return [
        Failure(
            r["at"],
            "recording",
            r["failure_code"] or "",
            r["failure_reason"] or "",
            r["object_key"],
        )
        for r in rows
    ]
