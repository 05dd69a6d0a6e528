"""Admins (``VOXPERSONA_ADMIN_IDS``): /stats, /health, /allow ID, /deny ID, /invite [uses]."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.filters import Command, CommandObject
from aiogram.types import Message, TelegramObject

from bot.context import BotContext
from bot.i18n import Language, t
from bot.routing import RouteTable
from voxpersona.logging import get_logger

log = get_logger(__name__)
routes = RouteTable("admin")
MAX_INVITE_USES = 1000


async def admins_only(
    handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
    event: TelegramObject,
    data: dict[str, Any],
) -> Any:
    """Runs after the command filter matched: non-admins get a polite refusal."""
    ctx: BotContext = data["ctx"]
    user = getattr(event, "from_user", None)
    if user is None or not ctx.is_admin(user.id):
        if isinstance(event, Message):
            await event.answer(t(data["lang"], "admin_only"))
        return None
    return await handler(event, data)


routes.message_middleware(admins_only)


@routes.message(Command("stats"))
async def stats(message: Message, ctx: BotContext, lang: Language) -> None:
    numbers = await ctx.library.stats()
    users = await ctx.users.count()
    await message.answer(t(lang, "stats", users=users, **numbers))


@routes.message(Command("health"))
async def health(message: Message, ctx: BotContext, lang: Language) -> None:
    checks = {
        "MinIO": await ctx.store.health.is_ready(),
        "PostgreSQL": await ctx.library.ping(),
        "NATS": ctx.reanalysis.connected,
    }
    lines = "\n".join(
        f"{'✅' if ok else '❌'} {name}: {t(lang, 'health_ok' if ok else 'health_down')}"
        for name, ok in checks.items()
    )
    await message.answer(t(lang, "health", lines=lines))


def _user_id(command: CommandObject) -> int | None:
    arg = (command.args or "").strip()
    return int(arg) if arg.isdigit() and int(arg) > 0 else None


@routes.message(Command("allow"))
async def allow(message: Message, command: CommandObject, ctx: BotContext, lang: Language) -> None:
    user_id = _user_id(command)
    if user_id is None:
        await message.answer(t(lang, "admin_usage"))
        return
    await ctx.users.set_access(user_id, "allowed")
    log.info("bot.admin_allowed", user_id=user_id)
    await message.answer(t(lang, "admin_allowed", user_id=user_id))


@routes.message(Command("deny"))
async def deny(message: Message, command: CommandObject, ctx: BotContext, lang: Language) -> None:
    user_id = _user_id(command)
    if user_id is None:
        await message.answer(t(lang, "admin_usage"))
        return
    await ctx.users.set_access(user_id, "revoked")
    log.info("bot.admin_denied", user_id=user_id)
    await message.answer(t(lang, "admin_denied", user_id=user_id))


@routes.message(Command("invite"))
async def invite(message: Message, command: CommandObject, ctx: BotContext, lang: Language) -> None:
    user = message.from_user
    assert user is not None
    arg = (command.args or "1").strip()
    uses = min(int(arg), MAX_INVITE_USES) if arg.isdigit() and int(arg) > 0 else 1
    code = secrets.token_urlsafe(9)
    await ctx.invites.create(code, uses=uses, created_by=user.id)
    log.info("bot.invite_created", admin_id=user.id, uses=uses)
    await message.answer(t(lang, "admin_invite", code=code, uses=uses))
