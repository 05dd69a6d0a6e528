"""/search words [date or date range]: the user's recordings whose transcripts contain the
words (PostgreSQL full-text search, Russian and English stemming) within the dates, in the
hybrid order of their passages (meaning fused with words); when no transcript has the words,
the few recordings closest in meaning. Without the passage index, full-text alone."""

from __future__ import annotations

import uuid

import asyncpg
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.context import BotContext
from bot.i18n import Language, t
from bot.repos.library import Card
from bot.routing import RouteTable
from bot.search_query import BadDateError, SearchQuery, parse_search
from bot.views import list_label
from voxpersona.embeddings import EmbeddingError
from voxpersona.logging import get_logger

log = get_logger(__name__)
routes = RouteTable("search")
MAX_HITS = 10
SIMILAR_HITS = 3


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
    ranked = await _hybrid_ranking(ctx, user.id, query)
    header = "search_header"
    if hits:
        hits = by_ranking(hits, ranked)
    elif ranked:
        # No transcript has the words: the recordings closest in meaning, within the dates.
        hits = await _cards_within(ctx, user.id, ranked, query)
        header = "search_similar"
    log.info("bot.search", user_id=user.id, words=len(query.words), hits=len(hits), kind=header)
    if not hits:
        await message.answer(t(lang, "search_empty"))
        return
    items = [(card.id, list_label(card, lang)) for card in hits]
    markup = ctx.keyboards.files_page(user.id, items, page=0, pages=1, language=lang)
    await message.answer(t(lang, header, count=len(hits)), reply_markup=markup)


def by_ranking(cards: list[Card], ranked: list[uuid.UUID]) -> list[Card]:
    """``cards`` in the hybrid order; those it does not rank keep their order after them."""
    position = {rid: i for i, rid in enumerate(ranked)}
    return sorted(cards, key=lambda card: position.get(card.id, len(position)))


async def _hybrid_ranking(ctx: BotContext, user_id: int, query: SearchQuery) -> list[uuid.UUID]:
    """The user's recordings by passages (meaning fused with words); empty when the index is
    unavailable, and the full-text search stands alone."""
    if ctx.asking is None or not query.words:
        return []
    try:
        return await ctx.asking.recordings(user_id, " ".join(query.words), limit=MAX_HITS)
    except (EmbeddingError, OSError, asyncpg.PostgresError) as exc:
        log.warning("bot.search_hybrid_failed", user_id=user_id, error=type(exc).__name__)
        return []


async def _cards_within(
    ctx: BotContext, user_id: int, ranked: list[uuid.UUID], query: SearchQuery
) -> list[Card]:
    cards = []
    for rid in ranked:
        card = await ctx.library.card(user_id, rid)
        if card is None:
            continue
        if query.date_from is not None and card.created_at < query.date_from:
            continue
        if query.date_to is not None and card.created_at >= query.date_to:
            continue
        cards.append(card)
    return cards[:SIMILAR_HITS]
