"""The dispatcher: middlewares outermost first, routers by concern, intake last (its
catch-all answers anything else in a private chat), and the commands menu."""

from __future__ import annotations

from aiogram import Bot, Dispatcher
from aiogram.types import BotCommand

from bot.context import BotContext
from bot.i18n import Language
from bot.intake import SpoolFallback
from bot.middlewares import AccessControl, FloodControl, SignedCallbacks, UserContext
from bot.routers import admin, commands, deletion, library, recording_actions, search
from bot.routers.intake import build_intake_router, build_status_router
from voxpersona.observability.metrics import Metrics

_MENU: dict[Language, list[tuple[str, str]]] = {
    "ru": [
        ("files", "Мои записи"),
        ("search", "Поиск по расшифровкам"),
        ("lang", "Язык интерфейса и записей"),
        ("scenario", "Анализ по умолчанию"),
        ("speakers", "Кто что сказал"),
        ("help", "Помощь"),
        ("delete_all", "Удалить все записи"),
    ],
    "en": [
        ("files", "My recordings"),
        ("search", "Search transcripts"),
        ("lang", "Interface and recording language"),
        ("scenario", "Default analysis"),
        ("speakers", "Who said what"),
        ("help", "Help"),
        ("delete_all", "Delete all recordings"),
    ],
}


def build_dispatcher(
    ctx: BotContext, fallback: SpoolFallback | None, metrics: Metrics
) -> Dispatcher:
    """Every handler gets ``ctx``; middlewares add ``prefs``, ``lang`` and, for buttons, ``cb``."""
    dispatcher = Dispatcher()
    dispatcher["ctx"] = ctx
    options = ctx.settings.options
    flood = FloodControl(per_minute=options.updates_per_minute, burst=options.updates_burst)
    user_context, access = UserContext(), AccessControl()
    for observer in (dispatcher.message, dispatcher.callback_query):
        observer.outer_middleware(flood)
        observer.outer_middleware(user_context)
        observer.outer_middleware(access)
    dispatcher.callback_query.outer_middleware(SignedCallbacks())
    dispatcher.include_routers(
        admin.routes.build(),
        commands.routes.build(),
        library.routes.build(),
        recording_actions.routes.build(),
        search.routes.build(),
        deletion.routes.build(),
        build_status_router(),
        build_intake_router(fallback, metrics),
    )
    return dispatcher


async def publish_commands(bot: Bot) -> None:
    """The "/" menu in the user's client language."""
    for language, entries in _MENU.items():
        menu = [BotCommand(command=name, description=text) for name, text in entries]
        await bot.set_my_commands(menu, language_code=language)
