"""Failures that are neither the user's nor transient by nature: a refused OpenAI key is an
operator alarm (log, metric, health) and the user hears "delayed", never "failed"."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import nats
import openai
import pytest
import pytest_asyncio
from nats.aio.msg import Msg

from reactor.analysis import ReactorChat
from reactor.app import run_reactor
from reactor.errors import OperatorAlarmError
from reactor.transcription.openai_engine import OpenAITranscriber
from tests.audio import ogg_opus
from tests.reactor_harness import (
    dsn,
    fresh_audio_bucket,
    new_user,
    reactor_settings,
    upload,
    wait_row,
)
from tests.services import OPENAI_TEST_KEY, RunningServices
from voxpersona.contracts.progress import ProgressMessage, Stage
from voxpersona.llm import OpenAIChat
from voxpersona.localstack.fake_openai import FakeOpenAI
from voxpersona.localstack.ports import free_port
from voxpersona.observability.metrics import Metrics

STATUS_MESSAGE = 5151


@pytest_asyncio.fixture(loop_scope="session")
async def openai_double() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(api_key=OPENAI_TEST_KEY) as server:
        yield server


async def test_refused_keys_are_alarms_for_both_apis(openai_double: FakeOpenAI) -> None:
    wrong = openai.AsyncOpenAI(api_key="sk-revoked-000", base_url=openai_double.base_url)
    audio = ogg_opus(0.3, frequency=700.0)
    path = Path(tempfile.mkdtemp()) / "a.ogg"
    path.write_bytes(audio)
    with pytest.raises(OperatorAlarmError) as transcribing:
        await OpenAITranscriber(wrong, model="whisper-1").transcribe(
            path, filename=path.name, language=None
        )
    chat = ReactorChat(OpenAIChat(wrong, model="gpt-4o-mini"))
    with pytest.raises(OperatorAlarmError) as analysing:
        await chat.complete(system="s", user="u")
    openai_double.fail_next("transcriptions", 403, times=3, message="Project key disabled.")
    right = openai.AsyncOpenAI(api_key=OPENAI_TEST_KEY, base_url=openai_double.base_url)
    with pytest.raises(OperatorAlarmError) as forbidden:
        await OpenAITranscriber(right, model="whisper-1").transcribe(
            path, filename=path.name, language=None
        )
    assert transcribing.value.code == "transcriber_auth"
    assert analysing.value.code == "analysis_auth"
    assert forbidden.value.code == "transcriber_auth"
    # What health and metrics show never carries the server's text (it may echo the key).
    assert "sk-" not in transcribing.value.summary
    assert "HTTP 401" in transcribing.value.summary


async def until(condition: Callable[[], bool], *, timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 - a plain condition, set by another task
            await asyncio.sleep(0.1)


async def _readyz(port: int) -> str:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/readyz") as resp,
    ):
        return await resp.text()


async def _readyz_until(port: int, text: str) -> str:
    """/readyz once it mentions ``text`` (answers are cached for a few seconds)."""
    async with asyncio.timeout(30):
        while text not in (body := await _readyz(port)):  # noqa: ASYNC110 - polls HTTP
            await asyncio.sleep(0.5)
    return body


async def test_a_refused_key_delays_the_recording_then_it_finishes_once_fixed(
    services: RunningServices, openai_double: FakeOpenAI
) -> None:
    minio = await fresh_audio_bucket(services.stack)
    port = free_port()
    settings = reactor_settings(
        services, minio, openai=openai_double, analysis_enabled=False, http_port=port
    )
    openai_double.api_key = "sk-the-key-was-rotated-0000"  # ours is no longer accepted
    progress: list[ProgressMessage] = []

    async def on_progress(msg: Msg) -> None:
        progress.append(ProgressMessage.model_validate_json(msg.data))

    nc = await nats.connect(settings.nats.url)
    await nc.subscribe(settings.streams.progress_subject, cb=on_progress)
    metrics = Metrics()
    stop = asyncio.Event()
    reactor = asyncio.create_task(run_reactor(settings, stop, metrics=metrics))
    user = new_user(services, "en")
    try:
        key = await upload(
            minio,
            user,
            ogg_opus(0.3, frequency=710.0),
            interface_language="en",
            status_message_id=STATUS_MESSAGE,
        )
        await until(lambda: bool(metrics.active_alarms), timeout=60)
        health = await _readyz_until(port, "transcriber_auth")
        row = await wait_row(dsn(services), key, until="attempts >= 1")
        assert row["status"] == "processing"  # held back, not failed
        assert row["failure_code"] is None
        assert "transcriber_auth" in health
        assert '"degraded"' in health
        assert metrics.value("voxpersona_operator_alarms_total", {"code": "transcriber_auth"}) >= 1
        await until(lambda: any(p.stage is Stage.DELAYED for p in progress), timeout=15)

        openai_double.api_key = OPENAI_TEST_KEY  # the operator fixes the key
        done = await wait_row(dsn(services), key, until="notified_at IS NOT NULL", timeout=90)
        assert done["status"] == "done"
        assert not metrics.active_alarms
        assert '"alarms", "status": "ok"' in await _readyz_until(port, '"detail": "none"')
    finally:
        stop.set()
        await asyncio.wait_for(reactor, 30)
        await nc.close()
        openai_double.api_key = OPENAI_TEST_KEY
    delayed = [p for p in progress if p.status_message_id == STATUS_MESSAGE]
    assert delayed
    assert all(p.chat_id == user.id for p in delayed)
    await services.telegram.wait_for(
        lambda: any(
            "fake transcript" in (m.text or "") for m in services.telegram.messages_to(user.id)
        ),
        timeout=15,
    )
    texts = [m.text or "" for m in services.telegram.messages_to(user.id)]
    assert not any("couldn't transcribe" in t for t in texts)
    assert sum("fake transcript" in t for t in texts) == 1
