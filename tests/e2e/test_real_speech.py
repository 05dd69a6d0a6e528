"""Real speech end to end: the words a user says come back to them, through the local engine
and through the OpenAI API path (a fake OpenAI server that transcribes with the same model)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from bot.app import run_bot
from reactor.app import run_reactor
from reactor.transcription.local_engine import LocalWhisperTranscriber
from tests.services import TELEGRAM_TEST_TOKEN, RunningServices
from tests.speech import clip, normalise, spoken_text, whisper_backed
from voxpersona.localstack.fake_openai import default_transcriber
from voxpersona.localstack.fake_telegram import FakeTelegram, FakeUser
from voxpersona.localstack.stack import LocalStack
from voxpersona.settings import (
    BotSettings,
    OpenAISettings,
    ReactorSettings,
    TelegramSettings,
    VoxSettings,
)


@dataclass
class LocalEngineServices:
    telegram: FakeTelegram
    dsn: str


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def local_engine_services(whisper_model_dir: Path) -> AsyncIterator[LocalEngineServices]:
    """Bot and reactor with no OpenAI key at all: ``auto`` picks the local Whisper engine."""
    async with LocalStack() as stack, FakeTelegram() as telegram:
        reactor_settings = ReactorSettings(
            minio=stack.minio_settings(),
            nats=stack.nats_settings(),
            database=stack.database_settings(),
            openai=OpenAISettings(api_key=None),
            vox=VoxSettings(whisper_model=str(whisper_model_dir), ack_wait_seconds=30),
        )
        bot_settings = BotSettings(
            telegram=TelegramSettings(bot_token=TELEGRAM_TEST_TOKEN, api_url=telegram.base_url),  # type: ignore[arg-type]
            minio=stack.minio_settings(),
            nats=stack.nats_settings(),
            database=stack.database_settings(),
            vox=VoxSettings(),
        )
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(run_reactor(reactor_settings, stop)),
            asyncio.create_task(run_bot(bot_settings, stop)),
        ]
        try:
            yield LocalEngineServices(telegram, stack.database_settings().url.get_secret_value())
        finally:
            stop.set()
            results = await asyncio.gather(*tasks, return_exceptions=True)
        assert not [r for r in results if isinstance(r, BaseException)], results


async def test_local_engine_returns_the_spoken_words(
    local_engine_services: LocalEngineServices,
) -> None:
    telegram = local_engine_services.telegram
    user = FakeUser(id=720_000_001, language_code="ru")
    telegram.user_sends_voice(user, clip("en_budget"), duration=4)
    expected = normalise(spoken_text("en_budget"))
    await telegram.wait_for(
        lambda: any(expected in normalise(m.text or "") for m in telegram.messages_to(user.id)),
        timeout=60,
    )
    conn = await asyncpg.connect(local_engine_services.dsn)
    try:
        row = await conn.fetchrow(
            "SELECT status, transcription_engine, transcription_model, transcript_language"
            " FROM recordings WHERE user_id = $1",
            user.id,
        )
    finally:
        await conn.close()
    assert row is not None
    # A Russian-speaking user's English interview comes back in English.
    assert dict(row) == {
        "status": "done",
        "transcription_engine": "local",
        "transcription_model": "whisper-base-ct2",
        "transcript_language": "en",
    }


@pytest.fixture
def whisper_behind_fake_openai(
    services: RunningServices, local_transcriber: LocalWhisperTranscriber
) -> Iterator[RunningServices]:
    services.openai.reset()
    services.openai.transcriber = whisper_backed(local_transcriber)
    yield services
    services.openai.transcriber = default_transcriber


async def test_openai_path_carries_the_exact_bytes_and_the_words_arrive(
    whisper_behind_fake_openai: RunningServices,
) -> None:
    services = whisper_behind_fake_openai
    audio = clip("en_budget")
    user = FakeUser(id=720_000_002, language_code="en")
    services.telegram.user_sends_voice(user, audio, duration=4)
    expected = normalise(spoken_text("en_budget"))
    await services.telegram.wait_for(
        lambda: any(
            expected in normalise(m.text or "") for m in services.telegram.messages_to(user.id)
        ),
        timeout=60,
    )
    [request] = services.openai.transcription_requests
    assert request.sha256 == hashlib.sha256(audio).hexdigest()
    assert request.size == len(audio)
    assert request.filename.endswith(".ogg")
