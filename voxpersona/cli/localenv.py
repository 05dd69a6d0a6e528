"""Use configured services, or start the local stack when no MinIO is configured."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class _Probe(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MINIO_", env_file=".env", extra="ignore")
    endpoint: str | None = None


def minio_configured() -> bool:
    return bool(_Probe().endpoint)


@contextlib.asynccontextmanager
async def services(data_dir: Path | None = None) -> AsyncIterator[str]:
    """Yield a description of the services in use; start the local stack if needed.

    The local stack's variables are put into ``os.environ`` so every settings object built
    afterwards points at it.
    """
    if minio_configured():
        yield "configured services (MINIO_ENDPOINT is set)"
        return
    try:
        from voxpersona.localstack.stack import LocalStack
    except ImportError:
        sys.exit(
            "MINIO_ENDPOINT is not set and the local stack is not installed: "
            "pip install 'voxpersona[localstack]' or configure MinIO, NATS and PostgreSQL"
        )
    stack = LocalStack(base_dir=data_dir)
    await stack.start()
    try:
        os.environ.update(stack.env())
        yield f"local stack in {stack.base_dir} (NATS, PostgreSQL, S3 with MinIO notifier double)"
    finally:
        await stack.close()
