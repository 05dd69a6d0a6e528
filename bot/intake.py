"""Receiving recordings: voice notes, audio files and audio documents."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.types import Message

from bot.i18n import Language, human_size, language_for, t
from bot.observability import record_intake
from bot.relay import NotAudioError, Relayed, RelayRequest, relay_to_spool, relay_to_storage
from bot.spool import Spool, SpoolFullError
from bot.spool_uploader import SpoolUploader
from voxpersona.contracts.metadata import RecordingMetadata
from voxpersona.logging import get_logger
from voxpersona.observability.metrics import Metrics
from voxpersona.retry import retry_async
from voxpersona.settings import BotSettings
from voxpersona.sniffing import AudioKind
from voxpersona.storage import MinioObjectStore, StorageError

log = get_logger(__name__)

PUBLIC_BOT_API_DOWNLOAD_LIMIT = 20 * 1024 * 1024
VOICE = AudioKind("ogg", "audio/ogg")


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
        return Incoming(v.file_id, v.file_unique_id, v.file_size, None, v.duration, VOICE)
    if message.audio is not None:
        a = message.audio
        return Incoming(a.file_id, a.file_unique_id, a.file_size, a.file_name, a.duration, None)
    if message.document is not None:
        d = message.document
        return Incoming(d.file_id, d.file_unique_id, d.file_size, d.file_name, None, None)
    return None


def size_problem(size: int | None, settings: BotSettings, language: Language) -> str | None:
    """A message explaining which limit a file breaks, or None when it fits."""
    if size is None:
        return None
    if not settings.telegram.local_api and size > PUBLIC_BOT_API_DOWNLOAD_LIMIT:
        return t(
            language,
            "too_big_public",
            size=human_size(size, language),
            limit=human_size(PUBLIC_BOT_API_DOWNLOAD_LIMIT, language),
        )
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


def build_intake_router(
    settings: BotSettings,
    store: MinioObjectStore,
    fallback: SpoolFallback | None = None,
    metrics: Metrics | None = None,
) -> Router:
    """Handlers for every message kind that can carry a recording."""
    router = Router(name="intake")

    @router.message(F.voice | F.audio | F.document)
    async def on_audio(message: Message, bot: Bot) -> None:
        await receive(message, bot, settings, store, fallback, metrics or Metrics())

    @router.message()
    async def on_other(message: Message) -> None:
        language = language_for(message.from_user.language_code if message.from_user else None)
        await message.answer(t(language, "unsupported"))

    return router


async def receive(
    message: Message,
    bot: Bot,
    settings: BotSettings,
    store: MinioObjectStore,
    fallback: SpoolFallback | None = None,
    metrics: Metrics | None = None,
) -> None:
    """Validate, stream into MinIO (or the spool while MinIO is down), confirm."""
    user = message.from_user
    incoming = incoming_audio(message)
    if user is None or incoming is None:
        return
    metrics = metrics or Metrics()
    metrics.uploads_received.inc()
    language = language_for(user.language_code)
    problem = size_problem(incoming.file_size, settings, language)
    if problem is not None:
        log.info("intake.rejected", user_id=user.id, reason="too_big", size=incoming.file_size)
        metrics.upload_rejected("too_big")
        await message.reply(problem)
        return
    metadata = RecordingMetadata(
        user_id=user.id,
        chat_id=message.chat.id,
        message_id=message.message_id,
        original_name=incoming.file_name,
        duration_seconds=incoming.duration,
        file_unique_id=incoming.file_unique_id,
        interface_language=language,
    )
    request = RelayRequest(incoming.file_id, incoming.file_size, metadata, incoming.declared)
    await bot.send_chat_action(message.chat.id, ChatAction.UPLOAD_DOCUMENT)
    detail = ""
    try:
        reply = await store_recording(bot, store, fallback, request, settings)
    except NotAudioError as exc:
        log.info("intake.rejected", user_id=user.id, reason="not_audio", detail=str(exc))
        reply = "not_audio"
    except (StorageError, SpoolFullError, OSError, aiohttp.ClientError) as exc:
        # aiohttp.ClientError: the download from Telegram broke off.
        log.error("intake.upload_failed", user_id=user.id, reason=str(exc))
        detail = str(exc)
        reply = "upload_failed"
    record_intake(metrics, reply, detail=detail)
    await message.reply(t(language, reply))


async def store_recording(
    bot: Bot,
    store: MinioObjectStore,
    fallback: SpoolFallback | None,
    request: RelayRequest,
    settings: BotSettings,
) -> str:
    """Relay into MinIO, retrying transient failures; spool when MinIO is down.

    Returns the catalogue key of the reply: ``received`` or ``spooled``.
    """

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
        return "received"
    assert fallback is not None
    entry = await relay_to_spool(bot, fallback.spool, request)
    fallback.uploader.notify()
    log.warning("intake.spooled", user_id=request.metadata.user_id, key=entry.key)
    return "spooled"
