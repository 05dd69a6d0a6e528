"""``voxpersona``: the operator CLI.

Each sub-command lives in its own module with ``register(subparsers)``, which adds its parser and
sets ``handler`` to a function ``(args) -> int`` (the exit code).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

from voxpersona.lifecycle import StartupError
from voxpersona.settings import ConfigError

# Modules under voxpersona.cli that register sub-commands, in help order.
COMMAND_MODULES = (
    "dev",
    "process",
    "streams",
    "health",
    "stats",
    "replay",
    "dlq",
    "storage",
    "migrate",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="voxpersona", description="VoxPersona operator CLI")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        import_module(f"voxpersona.cli.{name}").register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``voxpersona``."""
    args = build_parser().parse_args(argv)
    try:
        code = args.handler(args)
    except (ConfigError, StartupError) as exc:
        sys.exit(str(exc))
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(code)
