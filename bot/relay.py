"""Streaming a Telegram file into MinIO without holding it in memory.

The bot is the only writer of audio objects and does nothing else with the bytes: it reads the
first bytes to recognise the container, then pipes the rest straight into a multipart upload.
While MinIO is unreachable the same stream goes into the local spool instead
(:func:`relay_to_spool`); the spool's uploader sends it on later under the key chosen now.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

from aiogram import Bot

from bot.duration import estimate_seconds
from bot.spool import Spool
from bot.spool_entry import SpoolEntry
from bot.telegram_files import get_file, local_chunks, local_path
from voxpersona.contracts.keys import AudioKey, new_audio_key
from voxpersona.contracts.metadata import RecordingMetadata
from voxpersona.sniffing import SNIFF_BYTES, AudioKind, sniff_audio
from voxpersona.storage import MinioObjectStore, ObjectInfo

CHUNK_SIZE = 1024 * 1024
DOWNLOAD_TIMEOUT = 6 * 3600


class NotAudioError(Exception):
    """The file's first bytes are not an audio container we know."""


class OverQuotaError(Exception):
    """The recording's estimated duration is more than the user has left today."""

    def __init__(self, estimated_seconds: float) -> None:
        super().__init__(f"about {estimated_seconds:.0f} s of audio")
        self.estimated_seconds = estimated_seconds


@dataclass(frozen=True, slots=True)
class RelayRequest:
    """One file to relay."""

    file_id: str
    file_size: int | None
    metadata: RecordingMetadata
    declared: AudioKind | None  # what Telegram says (voice notes); None: sniff the content
    object_id: uuid.UUID | None = None  # chosen in advance (buttons name it); None: a new one
    # getFile: one call's timeout (a --local server answers after downloading the whole file,
    # up to 2 GB) and how many attempts transient failures get.
    get_file_timeout: float = 3600.0
    get_file_attempts: int = 4
    # Seconds of audio the user has left today: a file without a duration whose header says
    # it is longer is refused before it is stored (None: no check).
    max_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class Relayed:
    key: AudioKey
    info: ObjectInfo
    # The duration the quota is charged at upload: Telegram's, or estimated from the header.
    estimated_seconds: float = 0.0


async def telegram_chunks(bot: Bot, file_path: str) -> AsyncIterator[bytes]:
    """The file's bytes from the Bot API's file route or, with a local Bot API server in
    --local mode, from disk (no HTTP fallback: such a server has no file route)."""
    api = bot.session.api
    if api.is_local:
        async for chunk in local_chunks(local_path(api, file_path)):
            yield chunk
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
        try:
            if head:
                yield head
            async for chunk in chunks:
                yield chunk
        finally:
            await _discard(chunks)

    return head, replay()


@dataclass(frozen=True, slots=True)
class _OpenedAudio:
    kind: AudioKind
    length: int | None
    stream: AsyncIterator[bytes]
    metadata: RecordingMetadata  # with the estimated duration when Telegram gave none
    estimated_seconds: float


async def _open_audio(bot: Bot, request: RelayRequest) -> _OpenedAudio:
    """Start the download and recognise the content from its first bytes."""
    file = await get_file(
        bot,
        request.file_id,
        timeout=request.get_file_timeout,
        attempts=request.get_file_attempts,
    )
    if file.file_path is None:
        raise NotAudioError("Telegram returned no file path")
    head, stream = await _with_head(telegram_chunks(bot, file.file_path))
    kind = request.declared or sniff_audio(head)
    if kind is None:
        await _discard(stream)
        raise NotAudioError("content is not a known audio container")
    length = file.file_size or request.file_size
    metadata = request.metadata
    if metadata.duration_seconds:
        seconds = float(metadata.duration_seconds)
    else:
        seconds = estimate_seconds(kind, head, length)
        if request.max_seconds is not None and seconds > request.max_seconds:
            await _discard(stream)
            raise OverQuotaError(seconds)
        metadata = metadata.model_copy(update={"duration_seconds": round(seconds) or None})
    return _OpenedAudio(kind, length, stream, metadata, seconds)


def _new_key(request: RelayRequest, kind: AudioKind, now: datetime | None) -> AudioKey:
    return new_audio_key(
        request.metadata.user_id,
        kind.extension,
        now=now or datetime.now(UTC),
        object_id=request.object_id,
    )


async def relay_to_storage(
    bot: Bot, store: MinioObjectStore, request: RelayRequest, *, now: datetime | None = None
) -> Relayed:
    """Stream one Telegram file into the audio bucket under a fresh key."""
    audio = await _open_audio(bot, request)
    key = _new_key(request, audio.kind, now)
    try:
        info = await store.put_stream(
            store.audio_bucket,
            str(key),
            audio.stream,
            length=audio.length,
            content_type=audio.kind.content_type,
            metadata=audio.metadata.to_headers(),
            tags=audio.metadata.to_tags(),
        )
    finally:
        await _discard(audio.stream)  # a failed upload leaves the download half read
    return Relayed(key=key, info=info, estimated_seconds=audio.estimated_seconds)


async def relay_to_spool(
    bot: Bot, spool: Spool, request: RelayRequest, *, now: datetime | None = None
) -> SpoolEntry:
    """Download one Telegram file into the local spool (MinIO is unreachable)."""
    audio = await _open_audio(bot, request)
    try:
        return await spool.write(
            audio.stream,
            key=str(_new_key(request, audio.kind, now)),
            content_type=audio.kind.content_type,
            metadata=audio.metadata,
            expected_size=audio.length,
        )
    finally:
        await _discard(audio.stream)


async def _discard(stream: AsyncIterator[bytes]) -> None:
    # Closing the generator closes the HTTP response instead of reading the rest.
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()
