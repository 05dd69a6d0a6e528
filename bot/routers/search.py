"""/search words [date or date range]: the user's recordings whose transcripts contain the
words (PostgreSQL full-text search, Russian and English stemming) within the dates."""

from __future__ import annotations

from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.context import BotContext
from bot.i18n import Language, t
from bot.routing import RouteTable
from bot.search_query import BadDateError, parse_search
from bot.views import list_label
from voxpersona.logging import get_logger

log = get_logger(__name__)
routes = RouteTable("search")
MAX_HITS = 10


@routes.message(Command("search"))
async def search(message: Message, command: CommandObject, ctx: BotContext, lang: Language) -> None:
    user = message.from_user
    assert user is not None
    try:
        query = parse_search(command.args)
    except BadDateError as exc:
        await message.answer(t(lang, "search_bad_date", value=exc.value))
        return
    if query.empty:
        await message.answer(t(lang, "search_usage"))
        return
    hits = await ctx.library.search(user.id, query, limit=MAX_HITS)
    log.info("bot.search", user_id=user.id, words=len(query.words), hits=len(hits))
    if not hits:
        await message.answer(t(lang, "search_empty"))
        return
    items = [(card.id, list_label(card, lang)) for card in hits]
    markup = ctx.keyboards.files_page(user.id, items, page=0, pages=1, language=lang)
    await message.answer(t(lang, "search_header", count=len(hits)), reply_markup=markup)
