"""/start (with an invite code), /help, /lang (interface and recording language), /scenario."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message

from bot.callbacks import Callback
from bot.context import BotContext
from bot.filters import Action
from bot.i18n import Language, human_size, t
from bot.intake import effective_limit
from bot.keyboards import RECORDING_LANGUAGES, SCENARIOS, scenario_label
from bot.repos.users import UserPrefs
from bot.routers.library import edit_or_send
from bot.routing import RouteTable
from voxpersona.logging import get_logger

log = get_logger(__name__)
routes = RouteTable("commands")


@routes.message(CommandStart())
async def start(
    message: Message,
    command: CommandObject,
    ctx: BotContext,
    lang: Language,
    allowed: bool,
) -> None:
    user = message.from_user
    assert user is not None
    code = (command.args or "").strip()
    if code and not allowed:
        if not await ctx.invites.redeem(code) and code not in ctx.settings.options.invite_codes:
            log.info("bot.invite_rejected", user_id=user.id)
            await message.answer(t(lang, "invite_invalid"))
            return
        await ctx.users.set_access(user.id, "allowed", code=code)
        log.info("bot.invite_accepted", user_id=user.id)
        await message.answer(t(lang, "invite_accepted"))
    elif not allowed:
        await message.answer(t(lang, "access_invite_needed"))
        return
    await message.answer(t(lang, "start", name=user.first_name))


@routes.message(Command("help"))
async def help_(message: Message, ctx: BotContext, lang: Language) -> None:
    limit = human_size(effective_limit(ctx.settings), lang)
    await message.answer(t(lang, "help", limit=limit))


def _language_menu_text(prefs: UserPrefs, lang: Language) -> str:
    return t(
        lang,
        "lang_menu",
        ui=t(lang, f"lang.{lang}"),
        rec=t(lang, f"lang.{prefs.recording_language}"),
    )


@routes.message(Command("lang", "language"))
async def language_menu(
    message: Message, ctx: BotContext, lang: Language, prefs: UserPrefs
) -> None:
    user = message.from_user
    assert user is not None
    await message.answer(
        _language_menu_text(prefs, lang), reply_markup=ctx.keyboards.language_menu(user.id, lang)
    )


@routes.callback_query(Action("ui"))
async def set_interface_language(query: CallbackQuery, cb: Callback, ctx: BotContext) -> None:
    chosen: Language = "en" if cb.args[0] == "en" else "ru"
    await ctx.users.set_interface_language(query.from_user.id, chosen)
    await query.answer()
    if isinstance(query.message, Message):
        await edit_or_send(query.message, t(chosen, "lang_set"), None)


@routes.callback_query(Action("rl"), F.data)
async def set_recording_language(
    query: CallbackQuery, cb: Callback, ctx: BotContext, lang: Language
) -> None:
    code = cb.args[0] if cb.args and cb.args[0] in RECORDING_LANGUAGES else "auto"
    await ctx.users.set_recording_language(query.from_user.id, code)
    await query.answer()
    if isinstance(query.message, Message):
        await edit_or_send(query.message, t(lang, "reclang_set", rec=t(lang, f"lang.{code}")), None)


@routes.message(Command("scenario"))
async def scenario_menu(
    message: Message, ctx: BotContext, lang: Language, prefs: UserPrefs
) -> None:
    user = message.from_user
    assert user is not None
    await message.answer(
        t(lang, "scenario_menu", scenario=scenario_label(lang, prefs.scenario)),
        reply_markup=ctx.keyboards.default_scenarios(user.id, lang),
    )


@routes.callback_query(Action("ds"))
async def set_default_scenario(
    query: CallbackQuery, cb: Callback, ctx: BotContext, lang: Language
) -> None:
    name = cb.args[0] if cb.args and cb.args[0] in (*SCENARIOS, "none") else SCENARIOS[0]
    await ctx.users.set_scenario(query.from_user.id, name)
    await query.answer()
    if isinstance(query.message, Message):
        text = t(lang, "scenario_default_set", scenario=scenario_label(lang, name))
        await edit_or_send(query.message, text, None)
