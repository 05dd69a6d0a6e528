"""The reactor's progress for the bot's status message: long audio reports n of m chunks and
audio seconds, then the analysis; a migrated recording reports nothing."""

from __future__ import annotations

import io
import wave
from collections.abc import AsyncIterator

import nats
import numpy as np
import pytest_asyncio

from tests.reactor_harness import (
    dsn,
    fresh_audio_bucket,
    new_user,
    reactor_settings,
    running_reactor,
    upload,
    wait_row,
)
from tests.services import RunningServices
from voxpersona.contracts.progress import ProgressMessage, Stage

RATE = 8000


def wav_with_pauses(seconds: int) -> bytes:
    """8 kHz 8-bit mono: 9 s of tone, 1 s of silence, repeated."""
    t = np.arange(RATE * 9) / RATE
    tone = (128 + 60 * np.sin(2 * np.pi * 440 * t)).astype(np.uint8).tobytes()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(RATE)
        out.writeframes((tone + bytes([128]) * RATE) * (seconds // 10))
    return buffer.getvalue()


@pytest_asyncio.fixture(loop_scope="session")
async def progress(services: RunningServices) -> AsyncIterator[list[ProgressMessage]]:
    seen: list[ProgressMessage] = []
    nc = await nats.connect(services.reactor_settings.nats.url)

    async def on_message(msg: nats.aio.msg.Msg) -> None:
        seen.append(ProgressMessage.model_validate_json(msg.data))

    await nc.subscribe(services.reactor_settings.streams.progress_subject, cb=on_message)
    yield seen
    await nc.close()


async def test_long_audio_reports_chunks_then_analysis(
    services: RunningServices, progress: list[ProgressMessage]
) -> None:
    minio = await fresh_audio_bucket(services.stack)
    settings = reactor_settings(services, minio, chunk_max_seconds=30, chunk_concurrency=1)
    user = new_user(services, "en")
    async with running_reactor(settings):
        key = await upload(
            minio,
            user,
            wav_with_pauses(80),
            extension="wav",
            content_type="audio/wav",
            status_message_id=4242,
            interface_language="en",
        )
        row = await wait_row(
            dsn(services), key, until="status = 'done' AND analysis_status = 'done'"
        )
        migrated = await upload(
            minio,
            user,
            wav_with_pauses(20),
            extension="wav",
            content_type="audio/wav",
            status_message_id=4343,
            source="migration",
        )
        await wait_row(dsn(services), migrated)
    assert row["chunk_count"] >= 3
    mine = [p for p in progress if (p.chat_id, p.status_message_id) == (user.id, 4242)]
    transcribing = [p for p in mine if p.stage is Stage.TRANSCRIBING]
    first, last = transcribing[0], transcribing[-1]
    assert (first.chunk, first.chunks, first.done_seconds) == (1, row["chunk_count"], 0.0)
    assert (last.chunk, last.chunks, last.fraction) == (row["chunk_count"],) * 2 + (1.0,)
    assert last.total_seconds is not None
    assert 79 <= last.total_seconds <= 81
    assert [p.chunk or 0 for p in transcribing] == sorted(p.chunk or 0 for p in transcribing)
    assert mine[-1].stage is Stage.ANALYSING
    assert all(p.interface_language == "en" for p in mine)
    assert not [p for p in progress if p.status_message_id == 4343]
