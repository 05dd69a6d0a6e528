"""The analysis scenario picked under a recording's status message.

The choice travels to the reactor as a command (:class:`ChooseScenarioCommand`): while the
transcription runs the reactor records it for the analysis; once the recording is done it
becomes a re-analysis. A command for an upload the reactor has not recorded yet is retried by
the reactor. A choice made before the upload finished waits in memory until the upload is
recorded (its object key is not known before).
"""

from __future__ import annotations

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
    await _apply(ctx, bot, user_id, key, scenario, lang, chat_id=_chat(query), request=query.id)


async def apply_pending_choice(
    ctx: BotContext, bot: Bot, user_id: int, object_id: uuid.UUID, key: str, lang: Language
) -> None:
    """After the upload: apply a choice made while it ran."""
    scenario = ctx.pending_scenarios.pop((user_id, object_id), None)
    if scenario is not None:
        request = f"pending:{object_id}:{scenario}"
        await _apply(ctx, bot, user_id, key, scenario, lang, chat_id=None, request=request)


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
    request: str,
) -> None:
    """Send the choice to the reactor; tell the user when it means a re-analysis.

    ``request`` identifies the user's request (the callback query id): handling it twice
    publishes one command.
    """
    card = await ctx.library.card_by_key(user_id, key)
    await ctx.reanalysis.choose_scenario(
        key, user_id=user_id, scenario=scenario, interface_language=lang, idempotency_key=request
    )
    rerun = (
        card is not None
        and card.status == "done"
        and not (card.scenario == scenario and card.analysis_status != "failed")
    )
    log.info("bot.scenario_chosen", user_id=user_id, scenario=scenario, rerun=rerun)
    if rerun and chat_id is not None:
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
