"""``voxpersona health`` against a local stack of its own whose NATS, PostgreSQL and S3
stand-in are stopped in turn (and started again with their data). The command itself runs as
a subprocess for each exit code; the other outages call the same report function in-process."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import nats
import pytest_asyncio
from minio.commonconfig import ENABLED, Filter
from minio.lifecycleconfig import Expiration, LifecycleConfig, Rule
from pydantic import SecretStr

from tests.cli import run_voxpersona
from voxpersona.cli.health import health_report
from voxpersona.contracts.subjects import StreamNames
from voxpersona.jetstream import ensure_durable
from voxpersona.localstack.fake_openai import FakeOpenAI
from voxpersona.localstack.stack import LocalStack
from voxpersona.observability.health import exit_code
from voxpersona.passages import ensure_schema
from voxpersona.recordings.schema import migrate
from voxpersona.settings import OpenAISettings, ReactorSettings, VoxSettings
from voxpersona.storage import MinioObjectStore

KEY = "sk-health-check-key-0123456789"


class HealthStack:
    """A local stack prepared as a running deployment would be, plus a fake OpenAI."""

    def __init__(self, stack: LocalStack, openai: FakeOpenAI) -> None:
        self.stack = stack
        self.openai = openai

    def settings(self) -> ReactorSettings:
        return ReactorSettings(
            minio=self.stack.minio_settings(),
            nats=self.stack.nats_settings(),
            database=self.stack.database_settings(),
            openai=OpenAISettings(api_key=SecretStr(KEY), base_url=self.openai.base_url),
            vox=VoxSettings(),
        )

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **self.stack.env(),
            "OPENAI_API_KEY": KEY,
            "OPENAI_BASE_URL": self.openai.base_url,
            **extra,
        }


async def _prepare(stack: LocalStack) -> None:
    """What the reactor, the bot and the MinIO init leave behind: schema, durables, lifecycle."""
    conn = await asyncpg.connect(stack.database_settings().url.get_secret_value())
    try:
        await migrate(conn)
        await ensure_schema(conn)
    finally:
        await conn.close()
    names = StreamNames()
    nc = await nats.connect(stack.nats.url)
    try:
        js = nc.jetstream()
        for stream, durable, subject in (
            (names.events_stream, names.reactor_durable, names.events_subject),
            (names.results_stream, names.bot_durable, names.results_subject),
            (names.commands_stream, names.commands_durable, names.commands_subject),
        ):
            await ensure_durable(
                js, stream=stream, durable=durable, subject=subject, ack_wait=30, max_deliver=3
            )
    finally:
        await nc.close()
    client = MinioObjectStore(stack.minio_settings()).client
    rule = Rule(
        ENABLED,
        rule_filter=Filter(prefix="audio/"),
        rule_id="expire-audio",
        expiration=Expiration(days=30),
    )
    await asyncio.to_thread(
        client.set_bucket_lifecycle, "voxpersona-audio", LifecycleConfig([rule])
    )


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def health_stack() -> AsyncIterator[HealthStack]:
    async with LocalStack() as stack, FakeOpenAI(api_key=KEY) as openai:
        await _prepare(stack)
        yield HealthStack(stack, openai)


async def run_health(env: dict[str, str], *args: str) -> tuple[int, str]:
    return await run_voxpersona(
        "health",
        "--timeout",
        "3",
        *args,
        env=env,
        drop=("MINIO_", "NATS_", "DATABASE_", "OPENAI_", "VOXPERSONA_"),
        cwd=Path(__file__).parent,
    )


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {d["name"]: d["status"] for d in report["dependencies"]}


async def json_health(hs: HealthStack, **env: str) -> tuple[int, dict[str, Any]]:
    code, output = await run_health(hs.env(**env), "--json")
    return code, json.loads(output)


async def test_all_dependencies_up_is_healthy(health_stack: HealthStack) -> None:
    code, output = await run_health(health_stack.env())
    assert code == 0, output
    assert "overall: healthy" in output
    for line in ("live", "ready", "lifecycle", "notifications", "consumer reactor", "migrations"):
        assert line in output
    assert KEY not in output


async def test_report_names_every_dependency(health_stack: HealthStack) -> None:
    report = (await health_report(health_stack.settings(), timeout=3)).as_dict()
    assert report["exit_code"] == 0
    assert statuses(report) == {
        "minio": "ok",
        "nats": "ok",
        "postgres": "ok",
        "transcriber": "ok",
        "passages": "ok",
    }
    [index] = [d for d in report["dependencies"] if d["name"] == "passages"]
    assert [c["name"] for c in index["checks"]] == ["size", "lag"]
    nats_checks = {c["name"]: c for c in report["dependencies"][1]["checks"]}
    assert nats_checks["consumer reactor"]["pending"] == 0
    assert nats_checks["dead letters"]["dead_letters"] == 0


async def test_nats_down_exits_2_and_recovers(health_stack: HealthStack) -> None:
    await asyncio.to_thread(health_stack.stack.nats.stop)
    try:
        code, report = await json_health(health_stack)
    finally:
        await asyncio.to_thread(health_stack.stack.nats.start)
    assert code == 2
    assert statuses(report)["nats"] == "down"
    assert statuses(report)["postgres"] == "ok"
    report_after = await health_report(health_stack.settings(), timeout=3)
    assert exit_code(report_after.status) == 0


async def test_postgres_down_is_down_and_recovers(health_stack: HealthStack) -> None:
    await asyncio.to_thread(health_stack.stack.postgres.stop)
    try:
        report = await health_report(health_stack.settings(), timeout=3)
    finally:
        await asyncio.to_thread(health_stack.stack.postgres.start)
    assert exit_code(report.status) == 2
    assert statuses(report.as_dict()) == {
        "minio": "ok",
        "nats": "ok",
        "postgres": "down",
        "transcriber": "ok",
        "passages": "down",  # the index lives in PostgreSQL
    }
    report = await health_report(health_stack.settings(), timeout=3)
    assert exit_code(report.status) == 0


async def test_minio_down_is_down_and_recovers(health_stack: HealthStack) -> None:
    minio = health_stack.stack.minio
    assert minio is not None
    await minio.stop()
    try:
        report = await health_report(health_stack.settings(), timeout=3)
    finally:
        await minio.start()
    assert exit_code(report.status) == 2
    [dep] = [d for d in report.dependencies if d.name == "minio"]
    assert [(c.name, str(c.status)) for c in dep.checks] == [("live", "down")]
    assert minio.endpoint in dep.checks[0].detail
    report = await health_report(health_stack.settings(), timeout=3)
    assert exit_code(report.status) == 0


async def test_rejected_transcription_key_is_down(health_stack: HealthStack) -> None:
    settings = health_stack.settings()
    settings.openai.api_key = SecretStr("sk-wrong-key-00000000")
    report = await health_report(settings, timeout=3)
    assert exit_code(report.status) == 2
    [transcriber] = [d for d in report.dependencies if d.name == "transcriber"]
    assert [(c.name, str(c.status)) for c in transcriber.checks] == [("credentials", "down")]
    assert "sk-wrong-key-00000000" not in json.dumps(report.as_dict())
    # No transcription was spent on any of these checks.
    assert health_stack.openai.transcription_requests == []


async def test_dead_letter_degrades_with_exit_1(health_stack: HealthStack) -> None:
    names = StreamNames()
    nc = await nats.connect(health_stack.stack.nats.url)
    js = nc.jetstream()
    try:
        ack = await js.publish(names.dead_letter_subject, b"{}")
        code, report = await json_health(health_stack)
        await js.delete_msg(names.dead_letter_stream, ack.seq)
    finally:
        await nc.close()
    assert code == 1
    assert statuses(report)["nats"] == "degraded"
    [dead] = [c for c in report["dependencies"][1]["checks"] if c["name"] == "dead letters"]
    assert dead["dead_letters"] == 1
