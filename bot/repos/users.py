"""Users: interface and recording language, default scenario, access (allowlist, invites)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

import asyncpg

Access = Literal["none", "allowed", "revoked"]
# (user id, object keys) -> real durations of those finished recordings: the recordings
# module's read model (``RecordingQueries.transcribed_durations``).
DurationLookup = Callable[[int, list[str]], Awaitable[dict[str, float]]]


@dataclass(frozen=True, slots=True)
class UserPrefs:
    """One user's row; ``interface_language`` None means "follow the Telegram client"."""

    user_id: int
    interface_language: str | None
    recording_language: str
    scenario: str | None
    access: Access


_COLUMNS = "user_id, interface_language, recording_language, scenario, access"


def _prefs(row: asyncpg.Record) -> UserPrefs:
    return UserPrefs(
        user_id=row["user_id"],
        interface_language=row["interface_language"],
        recording_language=row["recording_language"],
        scenario=row["scenario"],
        access=row["access"],
    )


class Users:
    """Repository over ``bot_users``."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def load(self, user_id: int) -> UserPrefs:
        """The user's row, created with defaults on first contact."""
        row = await self._pool.fetchrow(
            f"INSERT INTO bot_users (user_id) VALUES ($1) ON CONFLICT (user_id)"
            f" DO UPDATE SET user_id = EXCLUDED.user_id RETURNING {_COLUMNS}",
            user_id,
        )
        assert row is not None
        return _prefs(row)

    async def set_interface_language(self, user_id: int, language: str) -> None:
        await self._set(user_id, "interface_language", language)

    async def set_recording_language(self, user_id: int, language: str) -> None:
        await self._set(user_id, "recording_language", language)

    async def set_scenario(self, user_id: int, scenario: str) -> None:
        await self._set(user_id, "scenario", scenario)

    async def set_access(self, user_id: int, access: Access, *, code: str | None = None) -> None:
        await self._pool.execute(
            "INSERT INTO bot_users (user_id, access, invite_code) VALUES ($1, $2, $3)"
            " ON CONFLICT (user_id) DO UPDATE SET access = $2,"
            " invite_code = COALESCE($3, bot_users.invite_code), updated_at = now()",
            user_id,
            access,
            code,
        )

    async def _set(self, user_id: int, column: str, value: str) -> None:
        # ``column`` is one of the literal names above, never user input.
        await self._pool.execute(
            f"INSERT INTO bot_users (user_id, {column}) VALUES ($1, $2)"
            f" ON CONFLICT (user_id) DO UPDATE SET {column} = $2, updated_at = now()",
            user_id,
            value,
        )

    async def count(self) -> int:
        value: int = await self._pool.fetchval("SELECT count(*) FROM bot_users")
        return value


class Invites:
    """Repository over ``bot_invites``: codes admins create, redeemed once per use."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def create(self, code: str, *, uses: int, created_by: int) -> None:
        await self._pool.execute(
            "INSERT INTO bot_invites (code, uses_left, created_by) VALUES ($1, $2, $3)",
            code,
            uses,
            created_by,
        )

    async def redeem(self, code: str) -> bool:
        """Take one use of ``code``; False when it is unknown or used up."""
        result: str = await self._pool.execute(
            "UPDATE bot_invites SET uses_left = uses_left - 1 WHERE code = $1 AND uses_left > 0",
            code,
        )
        return result.endswith(" 1")


class UsageLedger:
    """Repository over ``bot_usage``: what each user sent per UTC day."""

    def __init__(self, pool: asyncpg.Pool, durations: DurationLookup) -> None:
        self._pool = pool
        self._durations = durations

    async def today(self, user_id: int) -> tuple[int, float]:
        row = await self._pool.fetchrow(
            "SELECT recordings, audio_seconds FROM bot_usage"
            " WHERE user_id = $1 AND day = (now() AT TIME ZONE 'UTC')::date",
            user_id,
        )
        return (row["recordings"], row["audio_seconds"]) if row is not None else (0, 0.0)

    async def settle(self, user_id: int) -> float:
        """Charge the real duration of this user's transcribed uploads instead of the estimate
        charged at upload, on the day of the upload; returns the seconds added (may be < 0).

        Real durations come from the recordings module's read model (the bot never reads
        recordings tables itself). Settled once per upload (``settled_at``): the unsettled
        uploads are locked (``SKIP LOCKED``) for the transaction, so two bots settling at the
        same moment never count a difference twice.
        """
        async with self._pool.acquire() as conn, conn.transaction():
            due = await conn.fetch(
                "SELECT object_key, charged_seconds, (created_at AT TIME ZONE 'UTC')::date AS day"
                " FROM bot_uploads WHERE user_id = $1 AND settled_at IS NULL"
                " AND charged_seconds IS NOT NULL FOR UPDATE SKIP LOCKED",
                user_id,
            )
            if not due:
                return 0.0
            real = await self._durations(user_id, [row["object_key"] for row in due])
            per_day: dict[date, float] = {}
            for row in due:
                seconds = real.get(row["object_key"])
                if seconds is None:
                    continue  # not transcribed (yet): the estimate stands for now
                delta = seconds - row["charged_seconds"]
                await conn.execute(
                    "UPDATE bot_uploads SET settled_at = now(), charged_seconds = $2"
                    " WHERE object_key = $1",
                    row["object_key"],
                    seconds,
                )
                per_day[row["day"]] = per_day.get(row["day"], 0.0) + delta
            for day, delta in per_day.items():
                await conn.execute(
                    "INSERT INTO bot_usage (user_id, day, recordings, audio_seconds)"
                    " VALUES ($1, $2, 0, $3) ON CONFLICT (user_id, day) DO UPDATE"
                    " SET audio_seconds = GREATEST(bot_usage.audio_seconds + $3, 0)",
                    user_id,
                    day,
                    delta,
                )
            return sum(per_day.values())

    async def add(self, user_id: int, *, audio_seconds: float) -> None:
        await self._pool.execute(
            "INSERT INTO bot_usage (user_id, day, recordings, audio_seconds)"
            " VALUES ($1, (now() AT TIME ZONE 'UTC')::date, 1, $2)"
            " ON CONFLICT (user_id, day) DO UPDATE SET recordings = bot_usage.recordings + 1,"
            " audio_seconds = bot_usage.audio_seconds + $2",
            user_id,
            audio_seconds,
        )
