"""Users: interface and recording language, default scenario, access (allowlist, invites)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import asyncpg

Access = Literal["none", "allowed", "revoked"]


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

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

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

        Settled once per upload (``settled_at``), in one statement, so two bots settling at
        the same moment never count a difference twice.
        """
        added: float | None = await self._pool.fetchval(
            "WITH due AS ("
            " SELECT u.object_key, (u.created_at AT TIME ZONE 'UTC')::date AS day,"
            "  r.duration_seconds - u.charged_seconds AS delta"
            " FROM bot_uploads u JOIN recordings r"
            "  ON r.object_key = u.object_key AND r.user_id = u.user_id"
            " WHERE u.user_id = $1 AND u.settled_at IS NULL AND u.charged_seconds IS NOT NULL"
            "  AND r.status = 'done' AND r.duration_seconds IS NOT NULL"
            " FOR UPDATE OF u SKIP LOCKED),"
            " marked AS ("
            " UPDATE bot_uploads u SET settled_at = now(),"
            "  charged_seconds = u.charged_seconds + due.delta"
            " FROM due WHERE u.object_key = due.object_key RETURNING due.day, due.delta),"
            " applied AS ("
            " INSERT INTO bot_usage (user_id, day, recordings, audio_seconds)"
            " SELECT $1, day, 0, sum(delta) FROM marked GROUP BY day"
            " ON CONFLICT (user_id, day) DO UPDATE"
            "  SET audio_seconds = GREATEST(bot_usage.audio_seconds + EXCLUDED.audio_seconds, 0))"
            # A data-modifying CTE runs once whether or not it is read.
            " SELECT sum(delta) FROM marked",
            user_id,
        )
        return float(added or 0.0)

    async def add(self, user_id: int, *, audio_seconds: float) -> None:
        await self._pool.execute(
            "INSERT INTO bot_usage (user_id, day, recordings, audio_seconds)"
            " VALUES ($1, (now() AT TIME ZONE 'UTC')::date, 1, $2)"
            " ON CONFLICT (user_id, day) DO UPDATE SET recordings = bot_usage.recordings + 1,"
            " audio_seconds = bot_usage.audio_seconds + $2",
            user_id,
            audio_seconds,
        )
