"""A group upgraded to a supergroup gets a new chat id (Telegram answers the old one with
``migrate_to_chat_id``); the chat ids stored for it follow."""

from __future__ import annotations

import asyncpg

from voxpersona.logging import get_logger
from voxpersona.recordings import Recordings

log = get_logger(__name__)


class ChatMoves:
    """Moves stored chat ids from a group to the supergroup it became: the bot's uploads here,
    the recordings through their owner (each write idempotent, so a repeat is harmless)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._recordings = Recordings(pool)

    async def moved(self, old_chat_id: int, new_chat_id: int) -> None:
        uploads = await self._pool.execute(
            "UPDATE bot_uploads SET chat_id = $2 WHERE chat_id = $1", old_chat_id, new_chat_id
        )
        recordings = await self._recordings.move_chat(old_chat_id, new_chat_id)
        log.info(
            "chat.migrated",
            old_chat_id=old_chat_id,
            new_chat_id=new_chat_id,
            uploads=uploads,
            recordings=recordings,
        )
