"""Running ``voxpersona`` as an operator would: a separate process with a chosen environment."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from voxpersona.settings import MinioSettings

# Settings an operator's shell might carry; tests that must not inherit them drop them.
SERVICE_PREFIXES = ("MINIO_", "NATS_", "DATABASE_", "OPENAI_", "TELEGRAM_")


def environment(env: Mapping[str, str], *, drop: Iterable[str] = ()) -> dict[str, str]:
    """This process's environment without variables starting with ``drop``, plus ``env``."""
    prefixes = tuple(drop)
    kept = {k: v for k, v in os.environ.items() if not (prefixes and k.startswith(prefixes))}
    return {**kept, **env}


async def run_voxpersona(
    *args: str,
    env: Mapping[str, str],
    drop: Iterable[str] = (),
    cwd: Path | None = None,
    timeout: float = 60,
) -> tuple[int, str]:
    """Exit code and combined output of ``python -m voxpersona.cli ARGS``."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "voxpersona.cli",
        *args,
        cwd=cwd,
        env=environment(env, drop=drop),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=timeout)
    assert process.returncode is not None
    return process.returncode, output.decode()


def minio_env(settings: MinioSettings) -> dict[str, str]:
    """The ``MINIO_*`` variables that point a process at ``settings``'s server and buckets."""
    return {
        "MINIO_ENDPOINT": settings.endpoint,
        "MINIO_ACCESS_KEY": settings.access_key.get_secret_value(),
        "MINIO_SECRET_KEY": settings.secret_key.get_secret_value(),
        "MINIO_USE_SSL": "false",
        "MINIO_AUDIO_BUCKET_NAME": settings.audio_bucket_name,
        "MINIO_BUCKET_NAME": settings.bucket_name,
    }
