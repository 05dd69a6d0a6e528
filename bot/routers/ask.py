"""/ask question: an answer from the user's own recordings, citing each recording's title and
time; buttons open the cited recordings' cards and send each cited span as a short clip.

The clip is cut here from the recording streamed out of MinIO (PyAV, :mod:`voxpersona.clips`):
the bot already serves the library's audio (downloads), and a clip is a small view of it."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import asyncpg
from aiogram import Bot
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.callbacks import Callback
from bot.context import BotContext
from bot.filters import Action
from bot.i18n import Language, t
from bot.routing import RouteTable
from voxpersona.answers import AnswerKind, render_references
from voxpersona.answers.citations import Source, clock
from voxpersona.clips import ClipError, cut_clip
from voxpersona.embeddings import EmbeddingError
from voxpersona.logging import get_logger
from voxpersona.storage import StorageError

log = get_logger(__name__)
routes = RouteTable("ask")
MAX_QUESTION_CHARS = 500
# Telegram's message limit is 4096 characters; the references need room below the answer.
MAX_ANSWER_CHARS = 3200
MAX_REFERENCES = 8
MAX_TITLE_CHARS = 80


@routes.message(Command("ask"))
async def ask(
    message: Message, command: CommandObject, ctx: BotContext, lang: Language, bot: Bot
) -> None:
    user = message.from_user
    assert user is not None
    question = (command.args or "").strip()
    if not question:
        await message.answer(t(lang, "ask_usage"))
        return
    if ctx.asking is None:
        await message.answer(t(lang, "ask_unavailable"))
        return
    with contextlib.suppress(TelegramAPIError):  # the typing indicator is a courtesy only
        await bot.send_chat_action(message.chat.id, ChatAction.TYPING)
    try:
        answer = await ctx.asking.ask(user.id, question[:MAX_QUESTION_CHARS], language=lang)
    except (EmbeddingError, OSError, asyncpg.PostgresError) as exc:
        log.warning("bot.ask_failed", user_id=user.id, error=type(exc).__name__, reason=str(exc))
        await message.answer(t(lang, "ask_unavailable"))
        return
    cited = answer.cited_sources()
    log.info("bot.ask", user_id=user.id, kind=str(answer.kind), cited=len(cited))
    text = answer.text
    if len(text) > MAX_ANSWER_CHARS:
        text = text[:MAX_ANSWER_CHARS].rsplit(" ", 1)[0] + " …"
    if answer.kind is not AnswerKind.NOTHING and cited:
        text = f"{text}\n\n{t(lang, 'ask_sources')}\n{references(cited)}"
    markup = ctx.keyboards.ask_answer(user.id, cited, lang)
    await message.answer(text, reply_markup=markup)


def references(sources: Sequence[Source]) -> str:
    """``[1] Title, 01:23–01:58`` lines; a title (a caption's first line) is cut short so the
    answer and its sources stay inside one Telegram message."""
    return render_references([replace(s, title=_short(s.title)) for s in sources[:MAX_REFERENCES]])


def _short(title: str) -> str:
    return title if len(title) <= MAX_TITLE_CHARS else title[: MAX_TITLE_CHARS - 1] + "…"


@routes.callback_query(Action("ck"))
async def send_clip(
    query: CallbackQuery, cb: Callback, ctx: BotContext, lang: Language, bot: Bot
) -> None:
    try:
        rid, start, end = uuid.UUID(hex=cb.args[0]), int(cb.args[1]), int(cb.args[2])
    except (IndexError, ValueError):
        await query.answer(t(lang, "not_found"), show_alert=True)
        return
    card = await ctx.library.card(query.from_user.id, rid)
    if card is None or query.message is None:
        await query.answer(t(lang, "not_found"), show_alert=True)
        return
    if card.audio_state != "present":
        await query.answer(t(lang, "download_gone"), show_alert=True)
        return
    await query.answer()
    chat_id = query.message.chat.id
    try:
        clip = await _clip(ctx, card.bucket, card.object_key, start, end)
    except (StorageError, ClipError) as exc:
        log.warning(
            "bot.clip_failed", user_id=query.from_user.id, key=card.object_key, reason=str(exc)
        )
        await bot.send_message(chat_id, t(lang, "clip_failed"))
        return
    caption = t(lang, "clip_caption", start=clock(start), end=clock(end))
    await bot.send_voice(chat_id, BufferedInputFile(clip, filename="clip.ogg"), caption=caption)
    log.info("bot.clip_sent", user_id=query.from_user.id, key=card.object_key, bytes=len(clip))


async def _clip(ctx: BotContext, bucket: str, key: str, start: int, end: int) -> bytes:
    """Stream the recording into a temporary file and cut the span (in a worker thread)."""
    with tempfile.TemporaryDirectory(prefix="vp-clip-") as folder:
        path = Path(folder) / "recording"
        with path.open("wb") as out:
            async for chunk in ctx.library_store.iter_object(bucket, key):
                await asyncio.to_thread(out.write, chunk)
        return await asyncio.to_thread(cut_clip, path, float(start), float(end))
