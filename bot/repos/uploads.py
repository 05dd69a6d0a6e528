"""The uploads the bot made: status message, Telegram file id, title and notes per object."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

from voxpersona.recordings.queries import LibraryQueries


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
        self._recordings = LibraryQueries(pool)

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
        found = await self._recordings.object_key(recording_id)
        if found is None:
            return None
        user_id, key = found
        row = await self._pool.fetchrow(
            "SELECT chat_id, status_message_id FROM bot_uploads"
            " WHERE object_key = $1 AND user_id = $2 AND status_message_id IS NOT NULL",
            key,
            user_id,
        )
        if row is None:
            return None
        return StatusMessage(row["chat_id"], row["status_message_id"])

    async def finished_recording(self, user_id: int, file_unique_id: str) -> uuid.UUID | None:
        """The newest finished recording of this user made from the same Telegram file.

        Scoped to the user on purpose: another user's transcript of the same file is never
        handed out (a file id says nothing about who may read what was said in it).
        """
        keys = await self._pool.fetch(
            "SELECT object_key FROM bot_uploads WHERE user_id = $1 AND file_unique_id = $2",
            user_id,
            file_unique_id,
        )
        return await self._recordings.newest_done(user_id, [row["object_key"] for row in keys])

    async def object_key(self, user_id: int, object_id: uuid.UUID) -> str | None:
        """The key of this user's upload whose object id is ``object_id`` (from a button)."""
        value: str | None = await self._pool.fetchval(
            "SELECT object_key FROM bot_uploads WHERE user_id = $1"
            " AND split_part(split_part(object_key, '/', 6), '.', 1) = $2",
            user_id,
            str(object_id),
        )
        return value
