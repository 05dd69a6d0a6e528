"""The uploads the bot made: status message, Telegram file id, title and notes per object."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg


@dataclass(frozen=True, slots=True)
class Upload:
    object_key: str
    user_id: int
    chat_id: int
    status_message_id: int | None
    file_unique_id: str | None
    title: str | None
    notes: str | None
    # The audio seconds the daily quota was charged at upload (settled after transcription).
    charged_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class StatusMessage:
    chat_id: int
    message_id: int


class Uploads:
    """Repository over ``bot_uploads``."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def record(self, upload: Upload) -> None:
        await self._pool.execute(
            "INSERT INTO bot_uploads (object_key, user_id, chat_id, status_message_id,"
            " file_unique_id, title, notes, charged_seconds)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (object_key) DO NOTHING",
            upload.object_key,
            upload.user_id,
            upload.chat_id,
            upload.status_message_id,
            upload.file_unique_id,
            upload.title,
            upload.notes,
            upload.charged_seconds,
        )

    async def status_message(self, recording_id: uuid.UUID) -> StatusMessage | None:
        """The status message shown for a recording, if the bot sent one."""
        row = await self._pool.fetchrow(
            "SELECT u.chat_id, u.status_message_id FROM recordings r"
            " JOIN bot_uploads u ON u.object_key = r.object_key AND u.user_id = r.user_id"
            " WHERE r.id = $1 AND u.status_message_id IS NOT NULL",
            recording_id,
        )
        if row is None:
            return None
        return StatusMessage(row["chat_id"], row["status_message_id"])

    async def finished_recording(self, user_id: int, file_unique_id: str) -> uuid.UUID | None:
        """The newest finished recording of this user made from the same Telegram file.

        Scoped to the user on purpose: another user's transcript of the same file is never
        handed out (a file id says nothing about who may read what was said in it).
        """
        value: uuid.UUID | None = await self._pool.fetchval(
            "SELECT r.id FROM bot_uploads u JOIN recordings r"
            " ON r.object_key = u.object_key AND r.user_id = u.user_id"
            " WHERE u.user_id = $1 AND u.file_unique_id = $2 AND r.status = 'done'"
            " ORDER BY r.completed_at DESC LIMIT 1",
            user_id,
            file_unique_id,
        )
        return value

    async def object_key(self, user_id: int, object_id: uuid.UUID) -> str | None:
        """The key of this user's upload whose object id is ``object_id`` (from a button)."""
        value: str | None = await self._pool.fetchval(
            "SELECT object_key FROM bot_uploads WHERE user_id = $1"
            " AND split_part(split_part(object_key, '/', 6), '.', 1) = $2",
            user_id,
            str(object_id),
        )
        return value
