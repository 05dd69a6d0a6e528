"""Handlers for everything that can carry a recording, in private chats and (on request) in
groups: limits, fair use, reuse of a finished transcript, the status message, the upload."""

from __future__ import annotations

import contextlib
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
from aiogram import Bot, F, Router
from aiogram.enums import ChatAction, ChatType
from aiogram.exceptions import TelegramAPIError, TelegramMigrateToChat
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import Callback
from bot.context import BotContext
from bot.duration import size_lower_bound
from bot.fair_use import Usage, check_quota
from bot.filters import Action
from bot.i18n import Language, human_duration, human_size, t
from bot.intake import (
    PUBLIC_BOT_API_DOWNLOAD_LIMIT,
    Incoming,
    SpoolFallback,
    Stored,
    incoming_audio,
    request_for,
    size_problem,
    store_recording,
    title_and_notes,
)
from bot.observability import record_intake
from bot.relay import NotAudioError, OverQuotaError, RelayRequest
from bot.repos.uploads import Upload
from bot.repos.users import UserPrefs
from bot.scenario_choice import apply_pending_choice, choose, discard_pending_choice
from bot.spool import SpoolFullError
from bot.telegram_files import FileProblem, TelegramFileError
from voxpersona.contracts.metadata import RecordingMetadata
from voxpersona.contracts.progress import ProgressMessage, Stage
from voxpersona.logging import get_logger
from voxpersona.observability.metrics import Metrics
from voxpersona.storage import StorageError

log = get_logger(__name__)
_MEDIA = F.voice | F.audio | F.document | F.video | F.video_note


def build_intake_router(fallback: SpoolFallback | None, metrics: Metrics) -> Router:
    """Private chats: every recording. Groups: ``/transcribe`` in reply to one."""
    router = Router(name="intake")

    @router.message(F.chat.type == ChatType.PRIVATE, _MEDIA)
    async def on_media(
        message: Message, bot: Bot, ctx: BotContext, lang: Language, prefs: UserPrefs
    ) -> None:
        await receive(message, message, bot, ctx, lang, prefs, fallback, metrics)

    @router.message(Command("transcribe"))
    async def on_transcribe(
        message: Message, bot: Bot, ctx: BotContext, lang: Language, prefs: UserPrefs
    ) -> None:
        source = message.reply_to_message
        if source is None or incoming_audio(source) is None:
            await message.reply(t(lang, "group_reply_needed"))
            return
        await receive(message, source, bot, ctx, lang, prefs, fallback, metrics)

    @router.message(F.chat.type == ChatType.PRIVATE)
    async def on_other(message: Message, lang: Language) -> None:
        await message.answer(t(lang, "unsupported"))

    return router


async def _fair_use_problem(
    ctx: BotContext, user_id: int, incoming: Incoming, lang: Language
) -> str | None:
    verdict = ctx.rate.check(user_id, time.monotonic())
    if not verdict.allowed:
        return t(lang, "rate_limited", wait=human_duration(verdict.retry_after, lang))
    await ctx.usage.settle(user_id)  # real durations of what was transcribed since
    recordings, seconds = await ctx.usage.today(user_id)
    quota = ctx.quota
    verdict = check_quota(
        quota,
        Usage(recordings, seconds),
        # Documents carry no duration: at least what their size holds at the densest format.
        incoming_seconds=float(incoming.duration or size_lower_bound(incoming.file_size)),
        now=datetime.now(UTC),
    )
    if verdict.allowed:
        return None
    return t(
        lang,
        "quota_exceeded",
        recordings=quota.recordings,
        minutes=round(quota.audio_minutes),
        wait=human_duration(verdict.retry_after, lang),
    )


async def receive(
    message: Message,
    source: Message,
    bot: Bot,
    ctx: BotContext,
    lang: Language,
    prefs: UserPrefs,
    fallback: SpoolFallback | None,
    metrics: Metrics,
) -> None:
    """Check, reuse or upload the recording in ``source`` (``message`` is who asked)."""
    user = message.from_user
    incoming = incoming_audio(source)
    if user is None or incoming is None:
        return
    metrics.uploads_received.inc()
    problem = size_problem(incoming.file_size, ctx.settings, lang)
    reason = "too_big"
    if problem is None:
        problem, reason = await _fair_use_problem(ctx, user.id, incoming, lang), "fair_use"
    if problem is not None:
        log.info("intake.rejected", user_id=user.id, reason=reason, size=incoming.file_size)
        metrics.upload_rejected(reason)
        await source.reply(problem)
        return
    reused = await ctx.uploads.finished_recording(user.id, incoming.file_unique_id)
    if reused is not None:
        log.info("intake.reused", user_id=user.id, recording_id=str(reused))
        await source.reply(t(lang, "reused"))
        await ctx.deliverer.deliver_stored(
            reused,
            user_id=user.id,
            chat_id=source.chat.id,
            reply_to=source.message_id,
            language=lang,
        )
        return
    await _upload(message, source, incoming, bot, ctx, lang, prefs, fallback, metrics)


@dataclass(frozen=True, slots=True)
class _Pending:
    """One upload under way: who, where, and its status message."""

    user_id: int
    chat_id: int
    status_id: int
    object_id: uuid.UUID
    lang: Language

    def progress(self, stage: Stage) -> ProgressMessage:
        return ProgressMessage(
            chat_id=self.chat_id,
            status_message_id=self.status_id,
            stage=stage,
            interface_language=self.lang,
        )


async def _upload(
    message: Message,
    source: Message,
    incoming: Incoming,
    bot: Bot,
    ctx: BotContext,
    lang: Language,
    prefs: UserPrefs,
    fallback: SpoolFallback | None,
    metrics: Metrics,
) -> None:
    user = message.from_user
    assert user is not None
    pending = await _send_status(source, ctx, user.id, lang, prefs)
    title, notes = title_and_notes(source.caption)
    metadata = RecordingMetadata(
        user_id=user.id,
        chat_id=pending.chat_id,
        message_id=source.message_id,
        original_name=incoming.file_name,
        duration_seconds=incoming.duration,
        file_unique_id=incoming.file_unique_id,
        interface_language=lang,
        language=prefs.recording_language,
        scenario=prefs.scenario,
        status_message_id=pending.status_id,
        title=title,
        notes=notes,
    )
    _, used = await ctx.usage.today(user.id)
    seconds_left = max(0.0, ctx.quota.audio_minutes * 60 - used)
    request = request_for(
        incoming, metadata, ctx.settings, pending.object_id, seconds_left=seconds_left
    )
    with contextlib.suppress(TelegramAPIError):  # only a hint to the user's client
        await bot.send_chat_action(pending.chat_id, ChatAction.UPLOAD_DOCUMENT)
    reply, stored = await _store(bot, ctx, fallback, request, metrics)
    if stored is None:
        await _show_failure(ctx, pending, reply, left=round(seconds_left / 60))
        return
    key = stored.key
    await ctx.uploads.record(
        Upload(
            key,
            user.id,
            pending.chat_id,
            pending.status_id,
            incoming.file_unique_id,
            title,
            notes,
            charged_seconds=stored.estimated_seconds,
        )
    )
    await ctx.usage.add(user.id, audio_seconds=stored.estimated_seconds)
    if reply == "spooled":
        await ctx.editor.replace(
            pending.chat_id, pending.status_id, Stage.QUEUED, t(lang, "spooled")
        )
    else:
        await ctx.editor.show(pending.progress(Stage.QUEUED))
    await apply_pending_choice(ctx, bot, user.id, pending.object_id, key, lang)


async def _send_status(
    source: Message, ctx: BotContext, user_id: int, lang: Language, prefs: UserPrefs
) -> _Pending:
    """The status message comes first (its id travels in the metadata), with the scenario
    buttons; then it shows the upload."""
    object_id = uuid.uuid4()
    markup = ctx.keyboards.status_scenarios(user_id, object_id, lang, prefs.scenario)
    status = await reply_following_upgrades(source, t(lang, "status_received"), markup)
    pending = _Pending(user_id, status.chat.id, status.message_id, object_id, lang)
    ctx.editor.register(
        pending.chat_id,
        pending.status_id,
        stage=Stage.RECEIVED,
        text=status.text or "",
        markup=markup,
    )
    await ctx.editor.show(pending.progress(Stage.UPLOADING))
    return pending


async def reply_following_upgrades(
    source: Message, text: str, markup: InlineKeyboardMarkup | None
) -> Message:
    """Reply to ``source``; if its group has just become a supergroup (Telegram: 400 with
    ``migrate_to_chat_id``), post in the supergroup instead — the recording's chat is then
    that one, so its progress and result go there too."""
    try:
        return await source.reply(text, reply_markup=markup)
    except TelegramMigrateToChat as exc:
        log.info(
            "intake.group_upgraded", chat_id=source.chat.id, new_chat_id=exc.migrate_to_chat_id
        )
        bot = source.bot
        assert bot is not None
        return await bot.send_message(exc.migrate_to_chat_id, text, reply_markup=markup)


async def _store(
    bot: Bot,
    ctx: BotContext,
    fallback: SpoolFallback | None,
    request: RelayRequest,
    metrics: Metrics,
) -> tuple[str, Stored | None]:
    """Relay the file; the catalogue key of the outcome and where it went (if stored).

    Whatever goes wrong ends in a catalogue key: the status message never stays at
    "storing" (an unexpected error is logged with its traceback and explained as a failure).
    """
    user_id = request.metadata.user_id
    detail = ""
    stored: Stored | None = None
    try:
        stored = await store_recording(bot, ctx.store, fallback, request, ctx.settings)
        reply = stored.reply
    except NotAudioError as exc:
        log.info("intake.rejected", user_id=user_id, reason="not_audio", detail=str(exc))
        reply = "not_audio"
    except OverQuotaError as exc:
        # Told before anything is stored or transcribed (the header gave the duration).
        log.info("intake.rejected", user_id=user_id, reason="fair_use", detail=str(exc))
        reply = "quota_left_too_short"
    except TelegramFileError as exc:
        reply = file_problem_key(exc.problem, local=ctx.settings.telegram.local_api)
        logged = log.error if exc.problem is FileProblem.LOCAL_UNREADABLE else log.info
        logged("intake.file_refused", user_id=user_id, reason=exc.problem.value, detail=exc.detail)
        detail = exc.detail
    except (StorageError, SpoolFullError, OSError, aiohttp.ClientError) as exc:
        # aiohttp.ClientError: the download from Telegram broke off.
        log.error("intake.upload_failed", user_id=user_id, reason=str(exc))
        detail = str(exc)
        reply = "upload_failed"
    except Exception as exc:  # never leave the status message at "storing"
        log.exception("intake.upload_crashed", user_id=user_id, reason=type(exc).__name__)
        detail, reply = type(exc).__name__, "upload_failed"
    record_intake(metrics, reply, detail=detail)
    return reply, stored


def file_problem_key(problem: FileProblem, *, local: bool) -> str:
    """The catalogue text for a file Telegram would not hand over."""
    if problem is FileProblem.TOO_BIG:
        # The 20 MB figure is the public Bot API's; a local server has no such limit.
        return "too_big_telegram_local" if local else "too_big_telegram"
    return f"file_{problem.value}"


async def _show_failure(ctx: BotContext, pending: _Pending, reply: str, *, left: int) -> None:
    """The status message becomes the explanation (no second message)."""
    discard_pending_choice(ctx, pending.user_id, pending.object_id)
    limit = human_size(PUBLIC_BOT_API_DOWNLOAD_LIMIT, pending.lang)
    text = t(pending.lang, reply, limit=limit, left=left)
    await ctx.editor.replace(pending.chat_id, pending.status_id, Stage.FAILED, text)


def build_status_router() -> Router:
    """The scenario buttons under status messages."""
    router = Router(name="status")

    @router.callback_query(Action("sc"))
    async def on_scenario(
        query: CallbackQuery, cb: Callback, ctx: BotContext, bot: Bot, lang: Language
    ) -> None:
        if len(cb.args) != 2:
            await query.answer(t(lang, "button_invalid"), show_alert=True)
            return
        await choose(query, ctx, bot, cb.args, lang)

    return router
