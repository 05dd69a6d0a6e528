"""A voice message that arrives while PostgreSQL is restarting is not lost: the bot waits the
outage out (aiogram confirms every update to Telegram, handled or not) and the user gets the
transcript once the database is back, exactly once."""

from __future__ import annotations

import asyncio
import itertools
import os

import pytest

from tests.audio import ogg_opus
from tests.bot_chat import texts, transcript_count
from tests.services import RunningServices
from voxpersona.localstack.fake_telegram import FakeUser
from voxpersona.localstack.stack import LocalStack

_ids = itertools.count(760_000_001 + (os.getpid() % 1000) * 10_000)


@pytest.mark.timeout(300)
async def test_a_voice_message_sent_while_postgres_is_down_is_transcribed_once(
    services: RunningServices,
) -> None:
    stack = services.stack
    if not isinstance(stack, LocalStack):
        pytest.skip("stopping PostgreSQL needs the local stack")
    telegram = services.telegram
    user = FakeUser(id=next(_ids), first_name="Олег", language_code="ru")
    telegram.add_chat(user)
    await asyncio.to_thread(stack.postgres.stop)
    try:
        telegram.user_sends_voice(user, ogg_opus(0.4, frequency=610.0), duration=1)
        await asyncio.sleep(6.0)  # the update meets the outage and waits
    finally:
        await asyncio.to_thread(stack.postgres.start)
    await telegram.wait_for(lambda: transcript_count(telegram, user.id) >= 1, timeout=150)
    await asyncio.sleep(3.0)
    assert transcript_count(telegram, user.id) == 1, texts(telegram, user.id)
    assert not any("временно недоступен" in text for text in texts(telegram, user.id))
