"""/files: the user's recordings newest first, paginated; a card per recording; transcript,
analysis and exports from the card. Ids come from signed buttons and are looked up together
with the pressing user's id, so nobody reaches another user's recording."""

from __future__ import annotations

import asyncio
import uuid

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import Callback
from bot.context import BotContext
from bot.delivery import plan_parts
from bot.exports import ExportFormat, export
from bot.filters import Action
from bot.i18n import Language, scenario_title, t
from bot.routing import RouteTable
from bot.views import card_text, export_filename, list_label, pages, transcript_document
from voxpersona.logging import get_logger

log = get_logger(__name__)
routes = RouteTable("library")
# A flood wait longer than this is not waited out inside a handler.
MAX_FLOOD_WAIT = 5


def recording_id(cb: Callback) -> uuid.UUID | None:
    try:
        return uuid.UUID(hex=cb.args[0])
    except (IndexError, ValueError):
        return None


async def page_view(
    ctx: BotContext, user_id: int, page: int, lang: Language
) -> tuple[str, InlineKeyboardMarkup | None]:
    size = ctx.settings.options.files_page_size
    cards, total = await ctx.library.page(user_id, offset=page * size, limit=size)
    if total == 0:
        return t(lang, "files_empty"), None
    count = pages(total, size)
    page = min(page, count - 1)
    if not cards:  # the page emptied (deletions): show the last one
        cards, _ = await ctx.library.page(user_id, offset=page * size, limit=size)
    header = t(lang, "files_header", total=total, page=page + 1, pages=count)
    items = [(c.id, list_label(c, lang)) for c in cards]
    return header, ctx.keyboards.files_page(user_id, items, page=page, pages=count, language=lang)


async def show(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Replace the message the button was under (one message per library session)."""
    await query.answer()
    if isinstance(query.message, Message):
        await edit_or_send(query.message, text, markup)


async def edit_or_send(message: Message, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Edit ``message``; "not modified" is success, a flood wait is waited out once, and a
    message that can no longer be edited (deleted, too old) gets the text as a new one."""
    for attempt in range(2):
        try:
            await message.edit_text(text, reply_markup=markup)
            return
        except TelegramRetryAfter as exc:
            if attempt or exc.retry_after > MAX_FLOOD_WAIT:
                raise
            await asyncio.sleep(exc.retry_after)
        except TelegramBadRequest as exc:
            reason = exc.message.lower()
            if "not modified" in reason:
                return
            if "not found" not in reason and "can't be edited" not in reason:
                raise
            log.info("bot.edit_replaced_by_message", chat_id=message.chat.id, reason=exc.message)
            await message.answer(text, reply_markup=markup)
            return


@routes.message(Command("files"))
async def files(message: Message, ctx: BotContext, lang: Language) -> None:
    user = message.from_user
    assert user is not None
    text, markup = await page_view(ctx, user.id, 0, lang)
    await message.answer(text, reply_markup=markup)


@routes.callback_query(Action("pg"))
async def turn_page(query: CallbackQuery, cb: Callback, ctx: BotContext, lang: Language) -> None:
    page = int(cb.args[0]) if cb.args and cb.args[0].isdigit() else 0
    text, markup = await page_view(ctx, query.from_user.id, page, lang)
    await show(query, text, markup)


@routes.callback_query(Action("cd", "ac"))
async def open_card(query: CallbackQuery, cb: Callback, ctx: BotContext, lang: Language) -> None:
    rid = recording_id(cb)
    card = await ctx.library.card(query.from_user.id, rid) if rid else None
    if card is None:
        await query.answer(t(lang, "not_found"), show_alert=True)
        return
    markup = ctx.keyboards.card(
        query.from_user.id,
        card.id,
        lang,
        done=card.status == "done",
        rerun=card.can_rerun,
        speakers=(card.speakers or 0) > 1,
    )
    if cb.action == "ac" and isinstance(query.message, Message):
        # Under an /ask answer: the card comes as a new message and the answer stays.
        await query.answer()
        await query.message.answer(card_text(card, lang), reply_markup=markup)
        return
    await show(query, card_text(card, lang), markup)


async def _send_text(
    bot: Bot, chat_id: int, text: str, header: str, filename: str, ctx: BotContext
) -> None:
    parts, as_document = plan_parts(text, header, ctx.settings.vox.max_text_messages)
    for part in parts:
        await bot.send_message(chat_id, part)
    if as_document:
        await bot.send_document(chat_id, BufferedInputFile(text.encode("utf-8"), filename=filename))


@routes.callback_query(Action("tx"))
async def send_transcript(
    query: CallbackQuery, cb: Callback, ctx: BotContext, lang: Language, bot: Bot
) -> None:
    rid = recording_id(cb)
    row = await ctx.library.transcript(query.from_user.id, rid) if rid else None
    if row is None or query.message is None:
        await query.answer(t(lang, "transcript_not_ready"), show_alert=True)
        return
    await query.answer()
    name = f" «{row.name}»" if row.name else ""
    header = t(lang, "transcript_header", name=name)
    await _send_text(
        bot, query.message.chat.id, row.text, header, export_filename(row, "txt", lang), ctx
    )


@routes.callback_query(Action("an"))
async def send_analysis(
    query: CallbackQuery, cb: Callback, ctx: BotContext, lang: Language, bot: Bot
) -> None:
    rid = recording_id(cb)
    user_id = query.from_user.id
    analysis = await ctx.deliverer.stored_analysis(rid, user_id=user_id) if rid else None
    if analysis is None or query.message is None:
        await query.answer(t(lang, "analysis_missing"), show_alert=True)
        return
    await query.answer()
    header = t(lang, "analysis_header", title=scenario_title(lang, analysis.scenario))
    await _send_text(bot, query.message.chat.id, analysis.text, header, f"analysis-{rid}.md", ctx)


@routes.callback_query(Action("ex"))
async def send_export(
    query: CallbackQuery, cb: Callback, ctx: BotContext, lang: Language, bot: Bot
) -> None:
    rid = recording_id(cb)
    try:
        fmt = ExportFormat(cb.args[1])
    except (IndexError, ValueError):
        fmt = ExportFormat.TXT
    row = await ctx.library.transcript(query.from_user.id, rid) if rid else None
    if row is None or query.message is None:
        await query.answer(t(lang, "transcript_not_ready"), show_alert=True)
        return
    await query.answer()
    content = export(transcript_document(row, lang), fmt)
    filename = export_filename(row, fmt.value, lang)
    log.info("bot.export", user_id=query.from_user.id, format=fmt.value, bytes=len(content))
    await bot.send_document(query.message.chat.id, BufferedInputFile(content, filename=filename))
