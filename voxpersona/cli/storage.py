"""``voxpersona storage init|check|health``: MinIO's bucket configuration as code.

``init`` applies buckets, lifecycle and notification rules and removes anonymous access,
idempotently, and reports what it changed. ``check`` reports drift and exits 1 when there is
any. Both use ``MINIO_*`` (an operator's or root credentials: the services' users may not read
bucket configuration). IAM users and policies are applied by ``minio-config/init.sh`` (``mc``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable, Coroutine
from typing import Any

from voxpersona.logging import configure_logging
from voxpersona.settings import MinioSettings, load_settings
from voxpersona.storage import MinioObjectStore, StorageError
from voxpersona.storage.provisioning import check, provision

EXIT_OK, EXIT_DRIFT, EXIT_ERROR = 0, 1, 2


async def run_init(settings: MinioSettings) -> int:
    store = MinioObjectStore(settings)
    try:
        changes = await provision(store)
    except StorageError as exc:
        print(f"error: MinIO at {settings.endpoint}: {exc}")
        return EXIT_ERROR
    for change in changes:
        print(f"changed: {change}")
    print(f"{len(changes)} change(s)" if changes else "nothing to change: MinIO is configured")
    return EXIT_OK


async def run_check(settings: MinioSettings) -> int:
    store = MinioObjectStore(settings)
    try:
        drift = await check(store)
    except StorageError as exc:
        print(f"error: MinIO at {settings.endpoint}: {exc}")
        return EXIT_ERROR
    for item in drift:
        print(f"drift: {item}")
    if drift:
        print(f"{len(drift)} difference(s): run `voxpersona storage init`")
        return EXIT_DRIFT
    print("in step: buckets, lifecycle and notification rules as configured")
    return EXIT_OK


async def run_health(settings: MinioSettings) -> int:
    status = await MinioObjectStore(settings).health.status(fresh=True)
    print(json.dumps(status.as_report()))
    return EXIT_OK if status.ready else EXIT_ERROR


def register(commands: Any) -> None:
    parser = commands.add_parser("storage", help="MinIO buckets, rules and health")
    sub = parser.add_subparsers(dest="storage_command", required=True)
    init = sub.add_parser("init", help="apply the bucket configuration (idempotent)")
    init.set_defaults(handler=_handler(run_init))
    drift = sub.add_parser("check", help="report drift from the configuration; exit 1 if any")
    drift.set_defaults(handler=_handler(run_check))
    health = sub.add_parser("health", help="MinIO's live/ready endpoints; exit 2 if not ready")
    health.set_defaults(handler=_handler(run_health))


def _handler(
    command: Callable[[MinioSettings], Coroutine[Any, Any, int]],
) -> Callable[[argparse.Namespace], int]:
    def handle(args: argparse.Namespace) -> int:
        settings = load_settings(MinioSettings)
        configure_logging(level="WARNING", secrets=[settings.secret_key.get_secret_value()])
        return asyncio.run(command(settings))

    return handle
