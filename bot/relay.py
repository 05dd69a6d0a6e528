"""Streaming a Telegram file into MinIO without holding it in memory.

The bot is the only writer of audio objects and does nothing else with the bytes: it reads the
first bytes to recognise the container, then pipes the rest straight into a multipart upload.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiogram import Bot

from voxpersona.contracts.keys import AudioKey, new_audio_key
from voxpersona.contracts.metadata import RecordingMetadata
from voxpersona.sniffing import SNIFF_BYTES, AudioKind, sniff_audio
from voxpersona.storage import MinioObjectStore, ObjectInfo

CHUNK_SIZE = 256 * 1024
DOWNLOAD_TIMEOUT = 6 * 3600


class NotAudioError(Exception):
    """The file's first bytes are not an audio container we know."""


@dataclass(frozen=True, slots=True)
class RelayRequest:
    """One file to relay."""

    file_id: str
    file_size: int | None
    metadata: RecordingMetadata
    declared: AudioKind | None  # what Telegram says (voice notes); None: sniff the content


@dataclass(frozen=True, slots=True)
class Relayed:
    key: AudioKey
    info: ObjectInfo


async def telegram_chunks(bot: Bot, file_path: str) -> AsyncIterator[bytes]:
    """The file's bytes from the Bot API, or from disk (local Bot API server in --local mode)."""
    local = Path(file_path)
    if local.is_absolute() and await asyncio.to_thread(local.exists):
        handle = await asyncio.to_thread(local.open, "rb")
        try:
            while chunk := await asyncio.to_thread(handle.read, CHUNK_SIZE):
                yield chunk
        finally:
            handle.close()
        return
    url = bot.session.api.file_url(bot.token, file_path)
    # aiogram's default 30 s total timeout would cut off large files.
    stream = bot.session.stream_content(
        url, timeout=DOWNLOAD_TIMEOUT, chunk_size=CHUNK_SIZE, raise_for_status=True
    )
    async for chunk in stream:
        yield chunk


async def _with_head(chunks: AsyncIterator[bytes]) -> tuple[bytes, AsyncIterator[bytes]]:
    """Read at least SNIFF_BYTES from ``chunks`` and return them with a stream replaying them."""
    head = b""
    async for chunk in chunks:
        head += chunk
        if len(head) >= SNIFF_BYTES:
            break

    async def replay() -> AsyncIterator[bytes]:
        if head:
            yield head
        async for chunk in chunks:
            yield chunk

    return head, replay()


async def relay_to_storage(
    bot: Bot, store: MinioObjectStore, request: RelayRequest, *, now: datetime | None = None
) -> Relayed:
    """Stream one Telegram file into the audio bucket under a fresh key."""
    file = await bot.get_file(request.file_id)
    if file.file_path is None:
        raise NotAudioError("Telegram returned no file path")
    head, stream = await _with_head(telegram_chunks(bot, file.file_path))
    kind = request.declared or sniff_audio(head)
    if kind is None:
        await _discard(stream)
        raise NotAudioError("content is not a known audio container")
    key = new_audio_key(request.metadata.user_id, kind.extension, now=now or datetime.now(UTC))
    info = await store.put_stream(
        store.audio_bucket,
        str(key),
        stream,
        length=file.file_size or request.file_size,
        content_type=kind.content_type,
        metadata=request.metadata.to_headers(),
    )
    return Relayed(key=key, info=info)


async def _discard(stream: AsyncIterator[bytes]) -> None:
    # Closing the generator closes the HTTP response instead of reading the rest.
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()
