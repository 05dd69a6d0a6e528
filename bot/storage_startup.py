"""The bot's storage at start-up: MinIO validated, the spool opened.

The bot's MinIO user may only put objects, so a policy refusal on the bucket probe is accepted
as proof the credentials work. An unreachable MinIO does not stop the bot: recordings go to the
spool until it is back. Rejected credentials and a missing bucket do stop it.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from bot.intake import SpoolFallback
from bot.spool import Spool
from bot.spool_uploader import SpoolUploader
from voxpersona.lifecycle import StartupError
from voxpersona.logging import get_logger
from voxpersona.settings import BotSettings
from voxpersona.storage import (
    MinioObjectStore,
    OperationRecorder,
    StorageError,
    validate_startup,
)

log = get_logger(__name__)


def spool_dir(settings: BotSettings) -> Path:
    """``VOXPERSONA_SPOOL_DIR``, or a directory under the system's temporary directory."""
    return settings.vox.spool_dir or Path(tempfile.gettempdir()) / "voxpersona-spool"


async def open_bot_storage(
    settings: BotSettings, *, recorder: OperationRecorder | None = None
) -> tuple[MinioObjectStore, SpoolFallback]:
    store = MinioObjectStore(settings.minio, recorder=recorder)
    try:
        report = await validate_startup(store, tolerate_denied=True, require_reachable=False)
    except StorageError as exc:
        raise StartupError(f"MinIO at {settings.minio.endpoint} unusable: {exc}") from exc
    buckets = {name: state.value for name, state in report.buckets.items()}
    if report.usable:
        log.info("storage.ready", health=report.health.as_report(), buckets=buckets)
    else:
        log.warning("storage.unreachable_at_start", health=report.health.as_report())
    spool = Spool(spool_dir(settings), max_bytes=settings.vox.spool_max_bytes)
    try:
        await asyncio.to_thread(spool.open)
    except OSError as exc:
        raise StartupError(f"spool directory {spool.root} unusable: {exc}") from exc
    log.info("spool.opened", path=str(spool.root), used_bytes=spool.used_bytes)
    return store, SpoolFallback(spool, SpoolUploader(spool, store))
