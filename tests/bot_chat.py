"""Helpers for the bot's end-to-end tests: users, chat texts, buttons, waiting on the chat."""

from __future__ import annotations

import itertools
import os
from typing import Any

import asyncpg

from tests.services import RunningServices
from voxpersona.localstack.fake_telegram import BotMessage, FakeTelegram, FakeUser

_ids = itertools.count(730_000_001 + (os.getpid() % 1000) * 10_000)


def new_user(language: str = "ru", name: str = "Ольга") -> FakeUser:
    return FakeUser(id=next(_ids), first_name=name, language_code=language)


def texts(telegram: FakeTelegram, chat_id: int) -> list[str]:
    return [m.text or m.caption or "" for m in telegram.messages_to(chat_id)]


def has_text(telegram: FakeTelegram, chat_id: int, fragment: str) -> bool:
    return any(fragment in text for text in texts(telegram, chat_id))


async def wait_text(
    telegram: FakeTelegram, chat_id: int, fragment: str, timeout: float = 20
) -> BotMessage:
    """The newest message of the bot in the chat containing ``fragment``."""
    await telegram.wait_for(lambda: has_text(telegram, chat_id, fragment), timeout=timeout)
    return [m for m in telegram.messages_to(chat_id) if fragment in (m.text or "")][-1]


def buttons(message: BotMessage) -> list[dict[str, Any]]:
    markup = message.reply_markup or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]


def button_data(message: BotMessage, fragment: str) -> str:
    """The callback data of the button whose label contains ``fragment``."""
    for button in buttons(message):
        if fragment in button["text"]:
            data: str = button["callback_data"]
            return data
    raise AssertionError(f"no button {fragment!r} in {[b['text'] for b in buttons(message)]}")


def press(telegram: FakeTelegram, user: FakeUser, message: BotMessage, fragment: str) -> None:
    telegram.user_presses_button(user, message, button_data(message, fragment))


def answers(telegram: FakeTelegram) -> list[str]:
    """Texts of answered button presses (alerts and toasts), oldest first."""
    return [str(c.params.get("text", "")) for c in telegram.calls("answerCallbackQuery")]


def transcript_count(telegram: FakeTelegram, chat_id: int) -> int:
    return sum("fake transcript" in text for text in texts(telegram, chat_id))


async def recordings_of(services: RunningServices, user_id: int) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(services.reactor_settings.database.url.get_secret_value())
    try:
        rows: list[asyncpg.Record] = await conn.fetch(
            "SELECT * FROM recordings WHERE user_id = $1 ORDER BY created_at", user_id
        )
        return rows
    finally:
        await conn.close()


async def wait_nth(
    telegram: FakeTelegram, chat_id: int, fragment: str, n: int, timeout: float = 20
) -> BotMessage:
    """The ``n``-th (1-based) message of the bot in the chat containing ``fragment``."""

    def matching() -> list[BotMessage]:
        return [m for m in telegram.messages_to(chat_id) if fragment in (m.text or "")]

    await telegram.wait_for(lambda: len(matching()) >= n, timeout=timeout)
    return matching()[n - 1]
