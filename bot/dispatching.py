"""The dispatcher: middlewares outermost first, routers by concern, intake last (its
catch-all answers anything else in a private chat), and the commands menu."""

from __future__ import annotations

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.types import BotCommand, BotCommandScopeAllGroupChats

from bot.context import BotContext
from bot.i18n import Language, t
from bot.intake import SpoolFallback
from bot.middlewares import AccessControl, FloodControl, GroupScope, SignedCallbacks, UserContext
from bot.outage import OutageRetry
from bot.routers import admin, ask, commands, deletion, library, recording_actions, search
from bot.routers.intake import build_intake_router, build_status_router
from voxpersona.observability.metrics import Metrics

# The "/" menus: commands in private chats, and what belongs in groups.
PRIVATE_MENU = ("files", "search", "ask", "lang", "scenario", "speakers", "help", "delete_all")
GROUP_MENU = ("transcribe", "help")


def build_dispatcher(
    ctx: BotContext, fallback: SpoolFallback | None, metrics: Metrics
) -> Dispatcher:
    """Every handler gets ``ctx``; middlewares add ``prefs``, ``lang`` and, for buttons, ``cb``."""
    dispatcher = Dispatcher()
    dispatcher["ctx"] = ctx
    options = ctx.settings.options
    flood = FloodControl(per_minute=options.updates_per_minute, burst=options.updates_burst)
    user_context, access, groups = UserContext(), AccessControl(), GroupScope()
    # A database or NATS outage is waited out (after flood control, so retries don't count
    # against the user): aiogram confirms every update, so a failed one would be lost.
    outage = OutageRetry()
    # Messages: a group's command is sorted out before access control answers anything.
    message_chain: tuple[BaseMiddleware, ...] = (flood, outage, user_context, groups, access)
    for middleware in message_chain:
        dispatcher.message.outer_middleware(middleware)
    # Buttons: the signature names the action, which decides what a group may press.
    button_chain: tuple[BaseMiddleware, ...] = (
        flood,
        outage,
        user_context,
        access,
        SignedCallbacks(),
    )
    for middleware in (*button_chain, groups):
        dispatcher.callback_query.outer_middleware(middleware)
    dispatcher.include_routers(
        admin.routes.build(),
        commands.routes.build(),
        library.routes.build(),
        recording_actions.routes.build(),
        search.routes.build(),
        ask.routes.build(),
        deletion.routes.build(),
        build_status_router(),
        build_intake_router(fallback, metrics),
    )
    return dispatcher


def menu(names: tuple[str, ...], language: Language) -> list[BotCommand]:
    """A menu's entries with their descriptions from the catalogue."""
    return [BotCommand(command=name, description=t(language, f"menu.{name}")) for name in names]


async def publish_commands(bot: Bot) -> None:
    """The "/" menus: Russian and English by the client's language, English for every other
    client language (the default, without ``language_code``), and a group menu."""
    group = BotCommandScopeAllGroupChats()
    languages: tuple[tuple[Language, str | None], ...] = (("ru", "ru"), ("en", "en"), ("en", None))
    for language, code in languages:
        await bot.set_my_commands(menu(PRIVATE_MENU, language), language_code=code)
        await bot.set_my_commands(menu(GROUP_MENU, language), scope=group, language_code=code)
