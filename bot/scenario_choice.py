"""The analysis scenario picked under a recording's status message.

The choice reaches the reactor through the recording's row while the transcription runs (the
reactor reads the row's scenario when the analysis starts). Once the recording is done, the
choice becomes a re-analysis. A choice made before the upload finished waits in memory until
the upload is recorded (the reactor may not have the recording yet; it is given a moment).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Message

from bot.context import BotContext
from bot.i18n import Language, t
from bot.keyboards import SCENARIOS, scenario_label
from voxpersona.logging import get_logger

log = get_logger(__name__)
ROW_WAIT_SECONDS = 10.0
_POLL = 0.25


async def choose(
    query: CallbackQuery, ctx: BotContext, bot: Bot, args: tuple[str, ...], lang: Language
) -> None:
    """Handle a press of a scenario button under a status message."""
    user_id = query.from_user.id
    object_id = uuid.UUID(hex=args[0])
    scenario = args[1] if args[1] in SCENARIOS else SCENARIOS[0]
    await _mark(query, ctx, user_id, object_id, scenario, lang)
    key = await ctx.uploads.object_key(user_id, object_id)
    if key is None:  # still uploading: applied once the upload is recorded
        ctx.pending_scenarios[(user_id, object_id)] = scenario
        await query.answer(t(lang, "scenario_applied", scenario=scenario_label(lang, scenario)))
        return
    await query.answer()
    await _apply(ctx, bot, user_id, key, scenario, lang, chat_id=_chat(query))


async def apply_pending_choice(
    ctx: BotContext, bot: Bot, user_id: int, object_id: uuid.UUID, key: str, lang: Language
) -> None:
    """After the upload: apply a choice made while it ran."""
    scenario = ctx.pending_scenarios.pop((user_id, object_id), None)
    if scenario is not None:
        await _apply(ctx, bot, user_id, key, scenario, lang, chat_id=None)


def discard_pending_choice(ctx: BotContext, user_id: int, object_id: uuid.UUID) -> None:
    """The upload failed: forget a choice made while it ran."""
    ctx.pending_scenarios.pop((user_id, object_id), None)


async def _apply(
    ctx: BotContext,
    bot: Bot,
    user_id: int,
    key: str,
    scenario: str,
    lang: Language,
    *,
    chat_id: int | None,
) -> None:
    outcome = await ctx.library.choose_scenario(user_id, key, scenario)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ROW_WAIT_SECONDS
    while outcome == "unknown" and loop.time() < deadline:
        await asyncio.sleep(_POLL)
        outcome = await ctx.library.choose_scenario(user_id, key, scenario)
    log.info("bot.scenario_chosen", user_id=user_id, scenario=scenario, outcome=outcome)
    if outcome != "done":
        return
    card = await ctx.library.card_by_key(user_id, key)
    if card is None or (card.scenario == scenario and card.analysis_status != "failed"):
        return  # already analysed with this scenario
    if await ctx.library.prepare_rerun(user_id, card.id, scenario):
        await ctx.reanalysis.request(card, user_id=user_id, interface_language=lang)
        if chat_id is not None:
            text = t(lang, "scenario_rerun", scenario=scenario_label(lang, scenario))
            await bot.send_message(chat_id, text)


async def _mark(
    query: CallbackQuery,
    ctx: BotContext,
    user_id: int,
    object_id: uuid.UUID,
    scenario: str,
    lang: Language,
) -> None:
    """Tick the chosen button (while the status message still shows them)."""
    message = query.message
    if not isinstance(message, Message):
        return
    if ctx.editor.markup(message.chat.id, message.message_id) is None:
        return
    markup = ctx.keyboards.status_scenarios(user_id, object_id, lang, scenario)
    ctx.editor.set_markup(message.chat.id, message.message_id, markup)
    # Not modified, deleted, flood wait: the editor keeps the markup for its next edit anyway.
    with contextlib.suppress(TelegramAPIError):
        await message.edit_reply_markup(reply_markup=markup)


def _chat(query: CallbackQuery) -> int | None:
    return query.message.chat.id if query.message is not None else None
