"""``voxpersona``: the operator CLI."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from voxpersona.lifecycle import StartupError
from voxpersona.settings import ConfigError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="voxpersona", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    dev = commands.add_parser(
        "dev",
        help="run bot and reactor; starts a local NATS, PostgreSQL and S3 stand-in "
        "unless MINIO_ENDPOINT is set",
    )
    dev.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="where the local stack keeps its files (default: a temporary folder)",
    )

    process = commands.add_parser(
        "process", help="push one local audio file through the real path and print the result"
    )
    process.add_argument("file", type=Path)
    process.add_argument(
        "--user", type=int, required=True, help="Telegram user id to file it under"
    )
    process.add_argument(
        "--timeout", type=float, default=600.0, help="seconds to wait for the result"
    )
    process.add_argument("--json", action="store_true", help="print the result as JSON")

    streams = commands.add_parser("streams", help="JetStream streams and consumers")
    streams_commands = streams.add_subparsers(dest="streams_command", required=True)
    streams_commands.add_parser("init", help="create or update streams and consumers (idempotent)")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``voxpersona``."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "dev":
            from voxpersona.cli.dev import run_dev

            asyncio.run(run_dev(data_dir=args.data_dir))
        elif args.command == "process":
            from voxpersona.cli.process import run_process

            code = asyncio.run(
                run_process(args.file, user_id=args.user, timeout=args.timeout, as_json=args.json)
            )
            sys.exit(code)
        elif args.command == "streams":
            from voxpersona.cli.streams import run_streams_init

            asyncio.run(run_streams_init())
    except (ConfigError, StartupError) as exc:
        sys.exit(str(exc))
    except KeyboardInterrupt:
        sys.exit(130)
