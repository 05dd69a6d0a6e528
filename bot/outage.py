"""Updates that meet a PostgreSQL or NATS outage wait it out instead of being lost.

aiogram confirms an update to Telegram (the next ``getUpdates`` offset) whether or not its
handler raised (``Dispatcher._process_update`` only logs "Cause exception while process
update"), so an update whose handler fails because the database is restarting is gone: the
user's voice message is never stored and nobody hears of it. :class:`OutageRetry` runs the rest
of the chain again while the failure is an outage (bounded exponential backoff with jitter),
and when the outage outlasts the budget tells the user, in their language, to send it again,
and logs the update for an operator. Running the chain again is safe: nothing before the
failing call has stored anything, and an upload that did reach storage is recognised by the
reactor as the same Telegram file (one transcription, one reply).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import nats.errors
from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.i18n import language_for, t
from voxpersona.logging import get_logger
from voxpersona.retry import backoff_delay

log = get_logger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
Sleep = Callable[[float], Awaitable[None]]

# What a restarting PostgreSQL or NATS raises (asyncpg: refused or reset connections, "the
# database system is starting up / shutting down", a closed pool connection, a pool or command
# timeout; nats-py: its own errors while reconnecting).
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.InterfaceError,
    asyncpg.TooManyConnectionsError,
    nats.errors.Error,
)


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` is infrastructure being away, which waiting can fix (pure)."""
    return isinstance(error, OUTAGE_ERRORS)


def outage_delay(
    attempt: int, *, attempts: int, base: float, cap: float, rng: random.Random | None = None
) -> float | None:
    """Seconds to wait before running the update again after failed ``attempt`` (1-based), or
    None once ``attempts`` have failed (pure)."""
    if attempt >= attempts:
        return None
    return backoff_delay(attempt, base=base, cap=cap, rng=rng)


class OutageRetry(BaseMiddleware):
    """Runs the rest of the chain again while it fails with an outage; never loses the update
    silently: after ``attempts`` the user is asked to send it again and an operator sees it."""

    def __init__(
        self,
        *,
        attempts: int = 8,
        base_delay: float = 1.0,
        max_delay: float = 20.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._attempts = attempts
        self._base = base_delay
        self._cap = max_delay
        self._sleep = sleep

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        attempt = 0
        while True:
            attempt += 1
            try:
                return await handler(event, data)
            except Exception as exc:
                if not is_outage(exc):
                    raise
                delay = outage_delay(
                    attempt, attempts=self._attempts, base=self._base, cap=self._cap
                )
                reason = f"{type(exc).__name__}: {exc}"
                user_id = getattr(getattr(event, "from_user", None), "id", None)
                if delay is None:
                    log.error(
                        "bot.update_outage_gave_up",
                        user_id=user_id,
                        update=type(event).__name__,
                        attempts=attempt,
                        reason=reason,
                    )
                    await _ask_to_resend(event)
                    return None
                log.warning(
                    "bot.update_outage_retry",
                    user_id=user_id,
                    attempt=attempt,
                    delay=round(delay, 1),
                    reason=reason,
                )
                await self._sleep(delay)


async def _ask_to_resend(event: TelegramObject) -> None:
    """Best effort: Telegram itself may be what is away."""
    user = getattr(event, "from_user", None)
    lang = language_for(user.language_code if user is not None else None)
    text = t(lang, "outage_resend")
    try:
        if isinstance(event, CallbackQuery):
            await event.answer(text, show_alert=True)
        elif isinstance(event, Message):
            await event.answer(text)
    except TelegramAPIError as exc:
        log.warning("bot.outage_notice_failed", reason=str(exc))
