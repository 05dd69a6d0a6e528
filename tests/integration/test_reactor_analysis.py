"""LLM analysis after transcription: scenarios from metadata, every step stored, and a failing
analysis never costing the user their transcript."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest_asyncio

from tests.audio import ogg_opus
from tests.reactor_harness import (
    dsn,
    fresh_audio_bucket,
    new_user,
    reactor_settings,
    running_reactor,
    upload,
    wait_row,
)
from tests.services import OPENAI_TEST_KEY, RunningServices
from voxpersona.localstack.fake_openai import FakeOpenAI
from voxpersona.storage import MinioObjectStore


def responder(body: dict[str, Any]) -> str:
    system = body["messages"][0]["content"]
    return f"РЕЗУЛЬТАТ шага ({len(system)}): итоги встречи, задачи — подготовить бюджет."


@pytest_asyncio.fixture(loop_scope="session")
async def llm() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(api_key=OPENAI_TEST_KEY, responder=responder) as server:
        yield server


def texts(services: RunningServices, chat_id: int) -> list[str]:
    return [m.text or "" for m in services.telegram.messages_to(chat_id)]


async def steps_of(services: RunningServices, recording_id: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn(services))
    try:
        rows: list[asyncpg.Record] = await conn.fetch(
            "SELECT * FROM analysis_steps WHERE recording_id = $1 ORDER BY step_index",
            recording_id,
        )
        return rows
    finally:
        await conn.close()


async def test_interview_scenario_chains_steps_and_delivers_the_report(
    services: RunningServices, llm: FakeOpenAI
) -> None:
    minio = await fresh_audio_bucket(services.stack)
    settings = reactor_settings(services, minio, openai=llm)
    user = new_user(services, "ru")
    async with running_reactor(settings):
        key = await upload(
            minio,
            user,
            ogg_opus(0.3, frequency=710.0),
            interface_language="ru",
            scenario="interview",
        )
        row = await wait_row(dsn(services), key, until="analysis_notified_at IS NOT NULL")
    assert (row["status"], row["analysis_status"], row["scenario"]) == ("done", "done", "interview")
    steps = await steps_of(services, row["id"])
    assert [s["step_name"] for s in steps] == ["roles", "report"]
    assert row["analysis_text"] == steps[-1]["output"]
    roles_prompt = llm.chat_requests[0]["messages"][1]["content"]
    assert "Интервьюер" in roles_prompt
    assert "fake transcript" in roles_prompt
    assert steps[0]["output"] in llm.chat_requests[1]["messages"][1]["content"]
    store = MinioObjectStore(minio)
    document = json.loads(
        await store.get_bytes(
            store.results_bucket, row["result_key"].replace(".json", ".analysis.json")
        )
    )
    assert [s["name"] for s in document["steps"]] == ["roles", "report"]
    await services.telegram.wait_for(
        lambda: any(t.startswith("🧠 Анализ интервью") for t in texts(services, user.id)),
        timeout=15,
    )
    assert sum("fake transcript" in t for t in texts(services, user.id)) == 1


async def test_analysis_unavailable_sends_transcript_now_and_analysis_later(
    services: RunningServices, llm: FakeOpenAI
) -> None:
    minio = await fresh_audio_bucket(services.stack)
    settings = reactor_settings(services, minio, openai=llm)
    llm.fail_next("chat", 503, times=3)  # the SDK's own two retries, then a redelivery
    user = new_user(services, "en")
    async with running_reactor(settings):
        key = await upload(minio, user, ogg_opus(0.3, frequency=720.0), interface_language="en")
        row = await wait_row(
            dsn(services), key, until="analysis_notified_at IS NOT NULL", timeout=40
        )
    assert (row["status"], row["analysis_status"]) == ("done", "done")
    await services.telegram.wait_for(
        lambda: any(t.startswith("🧠 Summary") for t in texts(services, user.id)), timeout=15
    )
    sent = texts(services, user.id)
    transcript = next(i for i, t in enumerate(sent) if "fake transcript" in t)
    pending = next(i for i, t in enumerate(sent) if "analysis isn't ready yet" in t)
    analysis = next(i for i, t in enumerate(sent) if t.startswith("🧠 Summary"))
    assert transcript < pending < analysis
    assert sum("fake transcript" in t for t in sent) == 1  # the transcript was not sent again


async def test_analysis_rejected_keeps_the_transcript_and_says_so(
    services: RunningServices, llm: FakeOpenAI
) -> None:
    minio = await fresh_audio_bucket(services.stack)
    settings = reactor_settings(services, minio, openai=llm)
    llm.fail_next("chat", 400, times=5, message="context_length_exceeded")
    user = new_user(services, "ru")
    async with running_reactor(settings):
        key = await upload(minio, user, ogg_opus(0.3, frequency=730.0), interface_language="ru")
        row = await wait_row(dsn(services), key, until="notified_at IS NOT NULL")
    assert (row["status"], row["analysis_status"], row["analysis_code"]) == (
        "done",
        "failed",
        "analysis_rejected",
    )
    assert row["transcript_text"]
    await services.telegram.wait_for(
        lambda: any("анализ сделать не удалось" in t for t in texts(services, user.id)),
        timeout=15,
    )
    assert any("fake transcript" in t for t in texts(services, user.id))
