"""A generated three-hour recording: probed, cut into chunks under the upload limit on its
pauses, transcribed concurrently and stitched back in order."""

from __future__ import annotations

import io
import json
import re
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import av
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
from tests.services import OPENAI_TEST_KEY, RunningServices
from voxpersona.localstack.fake_openai import (
    FakeOpenAI,
    FakeSegment,
    FakeTranscript,
    TranscriptionRequest,
)
from voxpersona.storage import MinioObjectStore

RATE = 8000
HOURS = 3
LIMIT_BYTES = 8_000_000  # a smaller upload limit than OpenAI's, enforced by the fake too


def three_hour_wav() -> bytes:
    """8 kHz 8-bit mono: 10 s of tone, 1 s of silence, repeated (~86 MB, made in a moment)."""
    t = np.arange(RATE * 10) / RATE
    tone = (128 + 60 * np.sin(2 * np.pi * 440 * t)).astype(np.uint8).tobytes()
    pause = bytes([128]) * RATE
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(RATE)
        out.writeframes((tone + pause) * (HOURS * 3600 // 11))
    return buffer.getvalue()


def chunk_transcriber(path: Path, request: TranscriptionRequest) -> FakeTranscript:
    """Names the chunk it got and reports its real duration, one segment per minute."""
    index = int(re.search(r"part(\d{3})", request.filename).group(1))  # type: ignore[union-attr]
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        duration = float(stream.duration * stream.time_base)
    minutes = int(duration // 60) + 1
    segments = [
        FakeSegment(m * 60.0, min((m + 1) * 60.0, duration), f"часть {index} минута {m}")
        for m in range(minutes)
    ]
    text = " ".join(s.text for s in segments)
    return FakeTranscript(text, request.language or "russian", duration, segments)


@pytest_asyncio.fixture(loop_scope="session")
async def chunking_openai() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(
        api_key=OPENAI_TEST_KEY, transcriber=chunk_transcriber, max_upload_bytes=LIMIT_BYTES
    ) as server:
        yield server


async def test_three_hour_recording_is_chunked_and_stitched_in_order(
    services: RunningServices, chunking_openai: FakeOpenAI
) -> None:
    minio = await fresh_audio_bucket(services.stack)
    settings = reactor_settings(
        services,
        minio,
        openai=chunking_openai,
        analysis_enabled=False,
        chunk_max_bytes=LIMIT_BYTES - 500_000,
        chunk_max_seconds=1200,
        ack_wait_seconds=20,
    )
    user = new_user(services, "ru")
    audio = three_hour_wav()
    assert len(audio) > 3 * 26_214_400  # far over OpenAI's 25 MB: must be cut
    async with running_reactor(settings):
        key = await upload(
            minio, user, audio, extension="wav", content_type="audio/wav", language="ru"
        )
        row = await wait_row(dsn(services), key, timeout=150)
    assert row["status"] == "done", row["failure_reason"]
    requests = chunking_openai.transcription_requests
    assert row["chunk_count"] == len(requests) >= 9  # 3 h in chunks of at most 20 min
    assert all(r.size < LIMIT_BYTES for r in requests)
    assert all(r.filename.endswith(".ogg") for r in requests)
    assert {r.language for r in requests} == {"ru"}  # the recording's language as the hint
    assert row["duration_seconds"] > HOURS * 3600 - 30
    # Stitched in chunk order, clock offset by each chunk's start, no gap or reversal.
    segments = json.loads(row["transcript_segments"])
    chunk_order = [int(s["text"].split()[1]) for s in segments]
    assert chunk_order == sorted(chunk_order)
    assert set(chunk_order) == set(range(len(requests)))
    starts = [s["start"] for s in segments]
    assert starts == sorted(starts)
    assert segments[-1]["end"] > HOURS * 3600 - 60
    assert row["transcript_text"].startswith("часть 0 минута 0 часть 0 минута 1")
    # Cut in pauses: every boundary falls in a 1-second silence (10 s tone + 1 s pause).
    store = MinioObjectStore(minio)
    document = json.loads(await store.get_bytes(store.results_bucket, row["result_key"]))
    boundaries = [c["end"] for c in document["chunks"][:-1]]
    assert len(boundaries) == len(requests) - 1
    assert all(10.0 <= b % 11 <= 11.0 for b in boundaries), boundaries
    timings = json.loads(row["timings"])
    assert {"download", "probe", "chunk", "transcribe", "store"} <= set(timings)
