"""``voxpersona dev``: bot and reactor in one process, on the local stack by default."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from bot.app import run_bot
from bot.app import secrets_of as bot_secrets
from reactor.app import run_reactor
from reactor.app import secrets_of as reactor_secrets
from voxpersona.cli.localenv import services
from voxpersona.lifecycle import install_stop_signals
from voxpersona.logging import configure_logging, get_logger
from voxpersona.settings import load_bot_settings, load_reactor_settings

log = get_logger(__name__)


async def run_dev(*, data_dir: Path | None) -> None:
    async with services(data_dir) as description:
        bot_settings = load_bot_settings()
        reactor_settings = load_reactor_settings()
        configure_logging(
            log_format=bot_settings.vox.log_format,
            level=bot_settings.vox.log_level,
            secrets=[*bot_secrets(bot_settings), *reactor_secrets(reactor_settings)],
        )
        log.info("dev.started", services=description)
        stop = asyncio.Event()
        install_stop_signals(stop)
        results = await asyncio.gather(
            run_reactor(reactor_settings, stop),
            run_bot(bot_settings, stop),
            return_exceptions=True,
        )
        stop.set()
        for result in results:
            if isinstance(result, BaseException):
                raise result


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "dev",
        help="run bot and reactor; starts a local NATS, PostgreSQL and S3 stand-in "
        "unless MINIO_ENDPOINT is set",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="where the local stack keeps its files (default: a temporary folder)",
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    asyncio.run(run_dev(data_dir=args.data_dir))
    return 0
