"""The delivery journal (table ``bot_deliveries``, owned by the bot): which parts of which
result Telegram has confirmed."""

from __future__ import annotations

import uuid

import asyncpg


class DeliveryJournal:
    """Repository over ``bot_deliveries``."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def confirmed(self, recording_id: uuid.UUID, run: str) -> set[str]:
        """The parts of this recording's run already sent."""
        rows = await self._pool.fetch(
            "SELECT part FROM bot_deliveries WHERE recording_id = $1 AND run = $2",
            recording_id,
            run,
        )
        return {row["part"] for row in rows}

    async def record(
        self, recording_id: uuid.UUID, run: str, part: str, *, chat_id: int, message_id: int | None
    ) -> None:
        """Remember a part Telegram confirmed (idempotent)."""
        await self._pool.execute(
            "INSERT INTO bot_deliveries (recording_id, run, part, chat_id, message_id)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            recording_id,
            run,
            part,
            chat_id,
            message_id,
        )
