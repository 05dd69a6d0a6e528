"""Fair use: a per-user rate limit (token bucket) and a daily quota (count and audio minutes).

Pure state machines with an injected clock; the bot keeps one :class:`RateLimiter` in memory and
counts quota from PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after: float = 0.0


class RateLimiter:
    """At most ``burst`` recordings at once, refilled at ``per_minute`` per minute, per user."""

    def __init__(self, *, per_minute: float, burst: int, max_users: int = 100_000) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._max_users = max_users
        self._buckets: dict[int, tuple[float, float]] = {}

    def check(self, user_id: int, now: float) -> Verdict:
        """Take one token for ``user_id`` if there is one; otherwise say when there will be."""
        tokens, last = self._buckets.get(user_id, (self._burst, now))
        tokens = min(self._burst, tokens + (now - last) * self._rate)
        if tokens >= 1.0:
            self._store(user_id, tokens - 1.0, now)
            return Verdict(True)
        self._store(user_id, tokens, now)
        return Verdict(False, retry_after=(1.0 - tokens) / self._rate)

    def _store(self, user_id: int, tokens: float, now: float) -> None:
        if len(self._buckets) >= self._max_users and user_id not in self._buckets:
            # Full buckets carry no information; forget them first.
            full = [u for u, (t, _) in self._buckets.items() if t >= self._burst]
            for stale in full[: max(1, len(full))]:
                del self._buckets[stale]
        self._buckets[user_id] = (tokens, now)


@dataclass(frozen=True, slots=True)
class DailyQuota:
    recordings: int
    audio_minutes: float


@dataclass(frozen=True, slots=True)
class Usage:
    recordings: int
    audio_seconds: float


def next_reset(now: datetime) -> datetime:
    """Quotas reset at midnight UTC."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=1)


def check_quota(
    quota: DailyQuota, used: Usage, *, incoming_seconds: float, now: datetime
) -> Verdict:
    """Whether one more recording of ``incoming_seconds`` fits today's quota."""
    over_count = used.recordings + 1 > quota.recordings
    over_minutes = (used.audio_seconds + incoming_seconds) / 60.0 > quota.audio_minutes
    if not (over_count or over_minutes):
        return Verdict(True)
    return Verdict(False, retry_after=(next_reset(now) - now).total_seconds())
