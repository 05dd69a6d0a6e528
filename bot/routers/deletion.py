"""/delete_all: every recording of the user — audio, results and rows — after an explicit
confirmation that says it is irreversible."""

from __future__ import annotations

import contextlib

from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.context import BotContext
from bot.filters import Action
from bot.i18n import Language, t
from bot.routers.library import show
from bot.routing import RouteTable
from voxpersona.logging import get_logger
from voxpersona.storage import StorageError

log = get_logger(__name__)
routes = RouteTable("deletion")


@routes.message(Command("delete_all"))
async def ask_delete_all(message: Message, ctx: BotContext, lang: Language) -> None:
    user = message.from_user
    assert user is not None
    count = await ctx.library.count(user.id)
    if count == 0:
        await message.answer(t(lang, "delete_all_nothing"))
        return
    await message.answer(
        t(lang, "delete_all_confirm", count=count),
        reply_markup=ctx.keyboards.confirm_delete_all(user.id, lang),
    )


@routes.callback_query(Action("da"))
async def delete_all(query: CallbackQuery, ctx: BotContext, lang: Language) -> None:
    """Answered at once (deleting everything can outlast the query's life), reported after
    in the message the button was under."""
    user_id = query.from_user.id
    await query.answer(t(lang, "delete_all_working"))
    # Rows (with tombstones) first: a recording still processing is stopped rather than
    # failing on its vanished audio, and no event in flight recreates one.
    deleted, busy = await ctx.library.delete_all(user_id)
    try:
        objects = await ctx.library_store.delete_user_objects(user_id)
    except StorageError as exc:
        log.warning("bot.delete_all_failed", user_id=user_id, reason=str(exc))
        await report(query, t(lang, "storage_unavailable"))
        return
    log.info("bot.deleted_all", user_id=user_id, recordings=deleted, objects=objects, busy=busy)
    text = t(lang, "delete_all_done", count=deleted, objects=objects)
    if busy:
        text += "\n" + t(lang, "delete_all_busy", count=busy)
    await report(query, text)


async def report(query: CallbackQuery, text: str) -> None:
    """The outcome of an already answered button, in place of the message it was under."""
    if not isinstance(query.message, Message):
        return
    try:
        await query.message.edit_text(text, reply_markup=None)
    except TelegramAPIError as exc:  # deleted meanwhile, flood control: say it anew
        log.info("bot.report_edit_failed", reason=str(exc))
        with contextlib.suppress(TelegramAPIError):
            await query.message.answer(text)


@routes.callback_query(Action("no"))
async def cancel(query: CallbackQuery, lang: Language) -> None:
    await show(query, t(lang, "cancelled"), None)
