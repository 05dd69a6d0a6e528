"""Helpers for the reactor's integration tests: a fresh audio bucket per test (the session
reactor ignores other buckets), recordings uploaded the way the bot uploads them, isolated
reactor groups (their own durable consumer), and waiting on PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import nats

from reactor.app import run_reactor
from tests.services import OPENAI_TEST_KEY, RunningServices
from tests.stacks import Stack
from voxpersona.contracts.keys import new_audio_key
from voxpersona.contracts.metadata import RecordingMetadata
from voxpersona.contracts.subjects import StreamNames
from voxpersona.localstack.fake_openai import FakeOpenAI
from voxpersona.localstack.fake_telegram import FakeUser
from voxpersona.settings import MinioSettings, OpenAISettings, ReactorSettings, VoxSettings
from voxpersona.storage import MinioObjectStore
from voxpersona.storage.provisioning import provision

_user_ids = itertools.count(720_000_001 + (os.getpid() % 1000) * 10_000)


async def fresh_audio_bucket(stack: Stack) -> MinioSettings:
    """A new audio bucket with the production notification rules."""
    settings = stack.minio_settings(audio_bucket_name=f"vp-audio-{uuid.uuid4().hex[:10]}")
    await provision(MinioObjectStore(settings))
    return settings


def new_user(services: RunningServices, language: str = "ru") -> FakeUser:
    """A user the fake Telegram knows (so the bot may write to them)."""
    user = FakeUser(id=next(_user_ids), first_name="Тест", language_code=language)
    services.telegram.add_chat(user)
    return user


def reactor_settings(
    services: RunningServices,
    minio: MinioSettings,
    *,
    durable: str | None = None,
    openai: FakeOpenAI | None = None,
    **vox: object,
) -> ReactorSettings:
    """Settings for a reactor group of its own on ``minio``'s audio bucket."""
    stack = services.stack
    fake = openai or services.openai
    values: dict[str, object] = {"ack_wait_seconds": 10, "shutdown_grace_seconds": 5, **vox}
    return ReactorSettings(
        minio=minio,
        nats=stack.nats_settings(),
        database=stack.database_settings(),
        openai=OpenAISettings(api_key=OPENAI_TEST_KEY, base_url=fake.base_url, timeout=10),  # type: ignore[arg-type]
        vox=VoxSettings(**values),  # type: ignore[arg-type]
        streams=StreamNames(reactor_durable=durable or f"reactor-{uuid.uuid4().hex[:8]}"),
    )


def reactor_env(settings: ReactorSettings) -> dict[str, str]:
    """Environment for a ``voxpersona-reactor`` process with these settings."""
    minio, vox = settings.minio, settings.vox
    assert settings.openai.api_key is not None
    assert settings.openai.base_url is not None
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "MINIO_ENDPOINT": minio.endpoint,
        "MINIO_ACCESS_KEY": minio.access_key.get_secret_value(),
        "MINIO_SECRET_KEY": minio.secret_key.get_secret_value(),
        "MINIO_USE_SSL": "false",
        "MINIO_AUDIO_BUCKET_NAME": minio.audio_bucket_name,
        "MINIO_BUCKET_NAME": minio.bucket_name,
        "NATS_URL": settings.nats.url,
        "DATABASE_URL": settings.database.url.get_secret_value(),
        "OPENAI_API_KEY": settings.openai.api_key.get_secret_value(),
        "OPENAI_BASE_URL": settings.openai.base_url,
        "VOXPERSONA_TRANSCRIBER": "openai",
        "VOXPERSONA_REACTOR_DURABLE": settings.streams.reactor_durable,
        "VOXPERSONA_ACK_WAIT_SECONDS": str(vox.ack_wait_seconds),
        "VOXPERSONA_MAX_DELIVER": str(vox.max_deliver),
        "VOXPERSONA_REACTOR_CONCURRENCY": str(vox.reactor_concurrency),
        "VOXPERSONA_SHUTDOWN_GRACE_SECONDS": str(vox.shutdown_grace_seconds),
        "VOXPERSONA_ANALYSIS_ENABLED": str(vox.analysis_enabled).lower(),
        "VOXPERSONA_LOG_FORMAT": "json",
    }


@contextlib.asynccontextmanager
async def running_reactor(settings: ReactorSettings) -> AsyncIterator[asyncio.Task[None]]:
    """An in-process reactor for the duration of the block."""
    stop = asyncio.Event()
    task = asyncio.create_task(run_reactor(settings, stop))
    await asyncio.sleep(0.3)
    if task.done():
        task.result()
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def upload(
    minio: MinioSettings,
    user: FakeUser | int,
    audio: bytes,
    *,
    extension: str = "ogg",
    content_type: str = "audio/ogg",
    **meta: object,
) -> str:
    """Store ``audio`` as the bot would: our key scheme and the recording's metadata."""
    user_id = user if isinstance(user, int) else user.id
    key = str(new_audio_key(user_id, extension, now=datetime.now(UTC)))
    metadata = RecordingMetadata(user_id=user_id, chat_id=user_id, **meta)  # type: ignore[arg-type]
    store = MinioObjectStore(minio)
    await store.put_bytes(
        store.audio_bucket, key, audio, content_type=content_type, metadata=metadata.to_headers()
    )
    return key


async def rows_for(dsn: str, key_prefix: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        rows: list[asyncpg.Record] = await conn.fetch(
            "SELECT * FROM recordings WHERE object_key LIKE $1 || '%' ORDER BY object_key",
            key_prefix,
        )
        return rows
    finally:
        await conn.close()


async def wait_row(
    dsn: str, key: str, *, until: str = "status <> 'processing'", timeout: float = 30.0
) -> asyncpg.Record:
    """The recording row of ``key`` once ``until`` (SQL over its columns) holds."""
    conn = await asyncpg.connect(dsn)
    try:
        async with asyncio.timeout(timeout):
            while True:
                row = await conn.fetchrow(
                    f"SELECT * FROM recordings WHERE object_key = $1 AND ({until})", key
                )
                if row is not None:
                    return row
                await asyncio.sleep(0.1)
    finally:
        await conn.close()


async def wait_idle(settings: ReactorSettings, timeout: float = 30.0) -> None:
    """Until the group's durable consumer has nothing pending or unacknowledged."""
    names = settings.streams
    nc = await nats.connect(settings.nats.url)
    try:
        js = nc.jetstream()
        async with asyncio.timeout(timeout):
            while True:
                info = await js.consumer_info(names.events_stream, names.reactor_durable)
                if info.num_pending == 0 and info.num_ack_pending == 0:
                    return
                await asyncio.sleep(0.1)
    finally:
        await nc.close()


def dsn(services: RunningServices) -> str:
    return services.reactor_settings.database.url.get_secret_value()
