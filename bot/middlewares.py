"""Middlewares, outermost first: flood control (in memory, before any I/O), the user's row and
language, what belongs in a group, access control. Each handler then gets ``ctx``, ``prefs``
and ``lang``."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Message, TelegramObject, User

from bot.access import access_verdict
from bot.callbacks import CallbackError
from bot.context import BotContext
from bot.fair_use import RateLimiter
from bot.groups import button_allowed_in_group, group_verdict
from bot.i18n import human_duration, language_for, normalise_language, t
from voxpersona.logging import get_logger

log = get_logger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def _sender(event: TelegramObject) -> User | None:
    return getattr(event, "from_user", None)


def _is_command(event: TelegramObject) -> bool:
    return isinstance(event, Message) and (event.text or "").startswith("/")


def _is_start(event: TelegramObject) -> bool:
    return isinstance(event, Message) and (event.text or "").split(maxsplit=1)[:1] == ["/start"]


def _in_group(event: TelegramObject) -> bool:
    if isinstance(event, CallbackQuery):
        chat = event.message.chat if event.message is not None else None
    else:
        chat = event.chat if isinstance(event, Message) else None
    return chat is not None and chat.type != ChatType.PRIVATE


async def _username(data: dict[str, Any]) -> str | None:
    bot: Bot = data["bot"]
    return (await bot.me()).username  # aiogram caches getMe


async def _tell(event: TelegramObject, text: str) -> None:
    if isinstance(event, CallbackQuery):
        await event.answer(text, show_alert=True)
    elif isinstance(event, Message):
        await event.answer(text)


class FloodControl(BaseMiddleware):
    """Drops a user's updates beyond ``updates_per_minute`` (burst ``updates_burst``), telling
    them once. Handled in memory before any database or Telegram call, so one user flooding the
    bot costs the others nothing."""

    def __init__(self, *, per_minute: float, burst: int) -> None:
        self._limiter = RateLimiter(per_minute=per_minute, burst=burst)
        self._warned: set[int] = set()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = _sender(event)
        if user is None:
            return await handler(event, data)
        verdict = self._limiter.check(user.id, time.monotonic())
        if verdict.allowed:
            self._warned.discard(user.id)
            return await handler(event, data)
        if user.id not in self._warned:
            self._warned.add(user.id)
            log.info("bot.flood", user_id=user.id)
            lang = language_for(user.language_code)
            await _tell(event, t(lang, "flood", wait=human_duration(verdict.retry_after, lang)))
        elif isinstance(event, CallbackQuery):
            # Every button press is answered, or the client spins until the query expires.
            await event.answer()
        return None


class UserContext(BaseMiddleware):
    """Loads the user's row and picks the language to talk to them in."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = _sender(event)
        if user is None or user.is_bot:
            return None
        if isinstance(event, Message) and _in_group(event) and not _is_command(event):
            return None  # in groups the bot acts on commands only
        ctx: BotContext = data["ctx"]
        prefs = await ctx.users.load(user.id)
        data["prefs"] = prefs
        data["lang"] = (
            normalise_language(prefs.interface_language)
            if prefs.interface_language
            else language_for(user.language_code)
        )
        return await handler(event, data)


class GroupScope(BaseMiddleware):
    """In groups: only what belongs there (:mod:`bot.groups`). Library and admin commands and
    buttons get a pointer to the private chat; commands for other bots get nothing."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not _in_group(event):
            return await handler(event, data)
        username = await _username(data)
        if isinstance(event, CallbackQuery):
            if button_allowed_in_group(data["cb"].action):
                return await handler(event, data)
            log.info("bot.group_button_refused", user_id=event.from_user.id)
            await _tell(event, t(data["lang"], "private_only", bot=username))
            return None
        assert isinstance(event, Message)
        verdict = group_verdict(event.text, username)
        if verdict == "handle":
            return await handler(event, data)
        if verdict == "point_to_private":
            log.info("bot.group_command_refused", chat_id=event.chat.id)
            await event.reply(t(data["lang"], "private_only", bot=username))
        return None


class AccessControl(BaseMiddleware):
    """Lets through who may use the bot; in invite mode ``/start CODE`` reaches its handler."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        ctx: BotContext = data["ctx"]
        user = _sender(event)
        assert user is not None  # UserContext runs first
        options = ctx.settings.options
        verdict = access_verdict(
            options.access_mode,
            user.id,
            admins=options.admin_ids,
            allowlist=options.allowed_users,
            stored=data["prefs"].access,
        )
        if verdict == "allowed":
            data["allowed"] = True
            return await handler(event, data)
        if verdict == "needs_invite" and _is_start(event):
            data["allowed"] = False
            return await handler(event, data)
        log.info("bot.access_denied", user_id=user.id, verdict=verdict)
        key = "access_invite_needed" if verdict == "needs_invite" else "access_denied"
        await _tell(event, t(data["lang"], key, user_id=user.id))
        return None


class SignedCallbacks(BaseMiddleware):
    """Verifies a button's signature for the user who pressed it; puts the parsed callback
    into ``cb``. Anything unsigned, forged or another user's is answered and dropped."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, CallbackQuery)
        ctx: BotContext = data["ctx"]
        try:
            data["cb"] = ctx.signer.verify(event.from_user.id, event.data or "")
        except CallbackError as exc:
            log.warning("bot.callback_rejected", user_id=event.from_user.id, reason=str(exc))
            await event.answer(t(data["lang"], "button_invalid"), show_alert=True)
            return None
        return await handler(event, data)
