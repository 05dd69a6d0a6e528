"""``voxpersona``: the operator CLI.

Each sub-command lives in its own module with ``register(subparsers)``, which adds its parser and
sets ``handler`` to a function ``(args) -> int`` (the exit code). Only the chosen command's module
is imported: the others pull in the services' dependencies and would slow every command down.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

from voxpersona.lifecycle import StartupError
from voxpersona.logging import SecretRedactor
from voxpersona.settings import ConfigError

# Sub-commands (modules under voxpersona.cli) and their one-line help, in help order.
COMMANDS = {
    "dev": "run bot and reactor (a local stack unless MINIO_ENDPOINT is set)",
    "process": "push one local audio file through the real path and print the result",
    "streams": "JetStream streams and consumers",
    "health": "check MinIO, NATS, PostgreSQL and the transcriber",
    "stats": "KPIs: upload success, processing time, MinIO availability, storage",
    "replay": "process stored MinIO events again",
    "dlq": "dead-lettered events: list, show, requeue, purge",
    "storage": "MinIO buckets, rules and health",
    "migrate": "upload legacy recordings into MinIO (validate, rollback)",
    "models": "Whisper models for the local engine: fetch ahead of time",
    "diarization": "speaker models: fetch one ahead of time, check one loads",
}


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The parser, with the full definition of ``chosen`` (or of every command when None)."""
    parser = argparse.ArgumentParser(prog="voxpersona", description="VoxPersona operator CLI")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, summary in COMMANDS.items():
        if chosen is None or name == chosen:
            import_module(f"voxpersona.cli.{name}").register(commands)
        else:
            commands.add_parser(name, help=summary)
    return parser


def _chosen_command(argv: Sequence[str]) -> str | None:
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return first if first in COMMANDS else ""


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``voxpersona``."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(_chosen_command(arguments)).parse_args(arguments)
    try:
        code = args.handler(args)
    except (ConfigError, StartupError) as exc:
        sys.exit(SecretRedactor().redact(str(exc)))
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(code)
