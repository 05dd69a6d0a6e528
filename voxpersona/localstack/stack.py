"""The whole local stack in one object: NATS, PostgreSQL and the S3 server with MinIO's
notifier double, provisioned like ``docker compose``'s init service would.

Used by the tests, the benchmarks, ``voxpersona dev`` and ``voxpersona process`` when no MinIO
is configured.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

import asyncpg
import nats
from pydantic import SecretStr

from voxpersona.contracts.subjects import StreamNames
from voxpersona.jetstream import ensure_all
from voxpersona.localstack.minio_standin import MinioStandin
from voxpersona.localstack.nats import NatsServer
from voxpersona.localstack.postgres import PostgresServer
from voxpersona.settings import DatabaseSettings, MinioSettings, NatsSettings
from voxpersona.storage import MinioObjectStore
from voxpersona.storage.provisioning import provision

DATABASE = "voxpersona"
# Seconds between an upload's answer and its event (MinIO's queue_dir with synchronous events
# off); unset or 0: the event is stored before the upload is answered (MINIO_API_SYNC_EVENTS=on).
EVENT_DELAY_VARIABLE = "VOXPERSONA_STANDIN_EVENT_DELAY"
ACCESS_KEY = "voxpersona-local"
# Not a secret: it guards only a throwaway S3 server bound to 127.0.0.1.
SECRET_KEY = "voxpersona-local-secret"


def event_delay_from_env() -> float:
    """``VOXPERSONA_STANDIN_EVENT_DELAY`` in seconds (0 when unset)."""
    raw = os.environ.get(EVENT_DELAY_VARIABLE, "").strip()
    try:
        delay = float(raw) if raw else 0.0
    except ValueError:
        raise ValueError(
            f"{EVENT_DELAY_VARIABLE} must be a number of seconds, not {raw!r}"
        ) from None
    if delay < 0:
        raise ValueError(f"{EVENT_DELAY_VARIABLE} must not be negative")
    return delay


class LocalStack:
    """Start with ``await stack.start()``; ``env()`` gives the variables the services read."""

    def __init__(
        self,
        base_dir: Path | None = None,
        names: StreamNames | None = None,
        *,
        event_delay: float | None = None,
    ) -> None:
        self._own_dir = base_dir is None
        self.base_dir = base_dir or Path(tempfile.mkdtemp(prefix="vp-stack-"))
        self.names = names or StreamNames()
        self.nats = NatsServer(store_dir=self.base_dir / "nats")
        self.postgres = PostgresServer(base_dir=self.base_dir / "postgres")
        self.minio: MinioStandin | None = None
        self.event_delay = event_delay if event_delay is not None else event_delay_from_env()

    async def start(self) -> None:
        # moto's werkzeug server logs every request at INFO.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        (self.base_dir / "nats").mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(self.nats.start)
        await asyncio.to_thread(self.postgres.start)
        await self._create_database()
        # MinIO fails to publish without the stream, so it exists before any upload.
        await self._declare_streams()
        self.minio = MinioStandin(
            nats_url=self.nats.url,
            subject=self.names.events_subject,
            access_key=ACCESS_KEY,
            secret_key=SECRET_KEY,
            event_delay=self.event_delay,
        )
        await self.minio.start()
        await provision(MinioObjectStore(self.minio_settings()))

    async def _create_database(self) -> None:
        conn = await asyncpg.connect(self.postgres.dsn())
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE)
            if not exists:
                await conn.execute(f'CREATE DATABASE "{DATABASE}"')
        finally:
            await conn.close()

    async def _declare_streams(self) -> None:
        nc = await nats.connect(self.nats.url)
        try:
            await ensure_all(nc.jetstream(), self.names, retention_days=31)
        finally:
            await nc.close()

    def minio_settings(self, **overrides: object) -> MinioSettings:
        assert self.minio is not None, "stack not started"
        values: dict[str, object] = {
            "endpoint": self.minio.endpoint,
            "access_key": ACCESS_KEY,
            "secret_key": SECRET_KEY,
            "use_ssl": False,
            "max_retries": 2,
            "retry_backoff": 0.2,
        }
        values.update(overrides)
        return MinioSettings(**values)  # type: ignore[arg-type]

    def nats_settings(self) -> NatsSettings:
        return NatsSettings(url=self.nats.url)

    def database_settings(self) -> DatabaseSettings:
        return DatabaseSettings(url=SecretStr(self.postgres.dsn(DATABASE)))

    def env(self) -> dict[str, str]:
        """Environment variables pointing the services at this stack."""
        assert self.minio is not None, "stack not started"
        return {
            "MINIO_ENDPOINT": self.minio.endpoint,
            "MINIO_ACCESS_KEY": ACCESS_KEY,
            "MINIO_SECRET_KEY": SECRET_KEY,
            "MINIO_USE_SSL": "false",
            "NATS_URL": self.nats.url,
            "DATABASE_URL": self.postgres.dsn(DATABASE),
        }

    async def close(self) -> None:
        if self.minio is not None:
            await self.minio.close()
            self.minio = None
        await asyncio.to_thread(self.nats.close)
        await asyncio.to_thread(self.postgres.close)
        if self._own_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    async def __aenter__(self) -> LocalStack:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
