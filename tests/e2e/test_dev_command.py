"""The README's first command: ``voxpersona dev`` starts its own local stack, bot and reactor;
a user in the (fake) Telegram chat gets a transcript; SIGTERM stops everything cleanly."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from tests.audio import ogg_opus
from tests.cli import SERVICE_PREFIXES, environment
from voxpersona.localstack.fake_openai import FakeOpenAI
from voxpersona.localstack.fake_telegram import FakeTelegram, FakeUser

KEY = "sk-dev-command-key"
TOKEN = "987654321:dev-command-token"


@pytest_asyncio.fixture(loop_scope="session")
async def fakes() -> AsyncIterator[tuple[FakeTelegram, FakeOpenAI]]:
    async with FakeTelegram() as telegram, FakeOpenAI(api_key=KEY) as openai:
        yield telegram, openai


async def test_dev_runs_a_working_bot_on_the_embedded_stack(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeOpenAI]
) -> None:
    telegram, openai = fakes
    env = environment({}, drop=SERVICE_PREFIXES)
    env |= {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": telegram.base_url,
        "OPENAI_API_KEY": KEY,
        "OPENAI_BASE_URL": openai.base_url,
        "VOXPERSONA_LOG_FORMAT": "json",
    }
    log_path = tmp_path / "dev.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "voxpersona.cli",
            "dev",
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
    try:
        user = FakeUser(id=31337, language_code="en")
        await telegram.wait_for(lambda: bool(telegram.tokens), timeout=60)  # bot is polling
        telegram.user_sends_voice(user, ogg_opus(0.5), duration=1)
        await telegram.wait_for(
            lambda: any("fake transcript" in (m.text or "") for m in telegram.messages_to(user.id)),
            timeout=60,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), timeout=60)
    output = log_path.read_text()
    assert code == 0, output
    assert '"dev.started"' in output
    for secret in (KEY, TOKEN, TOKEN.split(":")[1]):
        assert secret not in output
