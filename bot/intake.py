"""Receiving recordings: what a message carries, the limits it must fit, and storing it
(MinIO, or the spool while MinIO is down). The handlers are in :mod:`bot.routers.intake`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from aiogram import Bot
from aiogram.types import Message

from bot.i18n import Language, human_size, t
from bot.relay import Relayed, RelayRequest, relay_to_spool, relay_to_storage
from bot.spool import Spool
from bot.spool_uploader import SpoolUploader
from voxpersona.contracts.metadata import RecordingMetadata
from voxpersona.logging import get_logger
from voxpersona.retry import retry_async
from voxpersona.settings import BotSettings
from voxpersona.sniffing import AudioKind
from voxpersona.storage import MinioObjectStore, StorageError

log = get_logger(__name__)

PUBLIC_BOT_API_DOWNLOAD_LIMIT = 20 * 1024 * 1024
# Video notes and MP4 videos are streamed as they are; the reactor takes their audio track.
VIDEO = AudioKind("mp4", "video/mp4")
# A caption is at most 1024 characters (Bot API, sendAudio/sendVoice ``caption``): title and
# notes are kept whole here and in PostgreSQL; only their metadata copy is cut to fit MinIO's
# 2 KiB (voxpersona.contracts.metadata_budget).
MAX_TITLE = 1024
MAX_NOTES = 1024


@dataclass(frozen=True, slots=True)
class Incoming:
    """The audio part of a message, whatever kind of message carried it."""

    file_id: str
    file_unique_id: str
    file_size: int | None
    file_name: str | None
    duration: int | None
    declared: AudioKind | None


def incoming_audio(message: Message) -> Incoming | None:
    """Pick the audio out of a message; documents are checked by content later."""
    if message.voice is not None:
        v = message.voice
        # sendVoice takes OGG/Opus, MP3 and M4A (Bot API docs): the content says which.
        return Incoming(v.file_id, v.file_unique_id, v.file_size, None, v.duration, None)
    if message.audio is not None:
        a = message.audio
        return Incoming(a.file_id, a.file_unique_id, a.file_size, a.file_name, a.duration, None)
    if message.video_note is not None:
        n = message.video_note
        return Incoming(n.file_id, n.file_unique_id, n.file_size, None, n.duration, VIDEO)
    if message.video is not None:
        video = message.video
        declared = VIDEO if video.mime_type in (None, "video/mp4") else None
        return Incoming(
            video.file_id,
            video.file_unique_id,
            video.file_size,
            video.file_name,
            video.duration,
            declared,
        )
    if message.document is not None:
        d = message.document
        return Incoming(d.file_id, d.file_unique_id, d.file_size, d.file_name, None, None)
    return None


def title_and_notes(caption: str | None) -> tuple[str | None, str | None]:
    """A caption's first line is the recording's title, the rest its notes (both trimmed)."""
    if not caption or not caption.strip():
        return None, None
    first, _, rest = caption.strip().partition("\n")
    title = first.strip()[:MAX_TITLE] or None
    notes = " ".join(rest.split())[:MAX_NOTES] or None
    return title, notes


def request_for(
    incoming: Incoming,
    metadata: RecordingMetadata,
    settings: BotSettings,
    object_id: uuid.UUID,
    *,
    seconds_left: float | None = None,
) -> RelayRequest:
    """What to relay, with the getFile timeout and attempts from the settings."""
    return RelayRequest(
        incoming.file_id,
        incoming.file_size,
        metadata,
        incoming.declared,
        object_id,
        get_file_timeout=settings.telegram.get_file_timeout,
        get_file_attempts=settings.telegram.get_file_attempts,
        max_seconds=seconds_left,
    )


def effective_limit(settings: BotSettings) -> int:
    """The largest file the bot can take: 20 MB through the public Bot API, else MinIO's."""
    if settings.telegram.local_api:
        return settings.minio.max_file_size
    return min(PUBLIC_BOT_API_DOWNLOAD_LIMIT, settings.minio.max_file_size)


def size_problem(size: int | None, settings: BotSettings, language: Language) -> str | None:
    """A message explaining which limit a file breaks, or None when it fits."""
    if size is None:
        return None
    if not settings.telegram.local_api and size > PUBLIC_BOT_API_DOWNLOAD_LIMIT:
        text = t(
            language,
            "too_big_public",
            size=human_size(size, language),
            limit=human_size(PUBLIC_BOT_API_DOWNLOAD_LIMIT, language),
        )
        if size <= settings.minio.max_file_size:
            hint = human_size(settings.minio.max_file_size, language)
            text += "\n" + t(language, "too_big_local_hint", max=hint)
        return text
    if size > settings.minio.max_file_size:
        return t(
            language,
            "too_big",
            size=human_size(size, language),
            limit=human_size(settings.minio.max_file_size, language),
        )
    return None


@dataclass(frozen=True, slots=True)
class SpoolFallback:
    """Where recordings go while MinIO is unreachable, and who uploads them later."""

    spool: Spool
    uploader: SpoolUploader


class _StorageDown(Exception):
    """MinIO's health endpoint says it cannot take the upload now."""


@dataclass(frozen=True, slots=True)
class Stored:
    """Where a recording went: ``reply`` is ``received`` or ``spooled``."""

    reply: str
    key: str
    estimated_seconds: float  # what the daily audio quota is charged now


async def store_recording(
    bot: Bot,
    store: MinioObjectStore,
    fallback: SpoolFallback | None,
    request: RelayRequest,
    settings: BotSettings,
) -> Stored:
    """Relay into MinIO, retrying transient failures; spool when MinIO is down."""

    async def attempt() -> Relayed:
        # After a transient failure the health cache is invalidated, so this asks MinIO anew.
        if fallback is not None and not await store.health.is_ready():
            raise _StorageDown
        return await relay_to_storage(bot, store, request)

    try:
        relayed = await retry_async(
            attempt,
            is_transient=lambda exc: isinstance(exc, StorageError) and exc.transient,
            max_retries=settings.minio.max_retries,
            base_delay=settings.minio.retry_backoff,
        )
    except _StorageDown:
        pass
    except StorageError as exc:
        if fallback is None or not exc.transient:
            raise
    else:
        log.info("intake.stored", user_id=request.metadata.user_id, key=str(relayed.key))
        return Stored("received", str(relayed.key), relayed.estimated_seconds)
    assert fallback is not None
    entry = await relay_to_spool(bot, fallback.spool, request)
    fallback.uploader.notify()
    log.warning("intake.spooled", user_id=request.metadata.user_id, key=entry.key)
    return Stored("spooled", entry.key, float(entry.metadata.duration_seconds or 0))
