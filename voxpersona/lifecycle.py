"""Process lifecycle shared by the services' entry points: settings, logging, signals, exit."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from voxpersona.logging import SecretRedactor, configure_logging
from voxpersona.settings import ConfigError, VoxSettings


class StartupError(Exception):
    """A dependency is unusable at start-up; the message says which and why, in one line."""


def install_stop_signals(stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT set ``stop``: the services then drain and exit cleanly."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


class ServiceSettings(Protocol):
    @property
    def vox(self) -> VoxSettings: ...


S = TypeVar("S", bound=ServiceSettings)


def run_service(
    name: str,
    load: Callable[[], S],
    serve: Callable[[S, asyncio.Event], Awaitable[None]],
    secrets: Callable[[S], list[str]],
) -> None:
    """Build settings once, configure logging, serve until SIGTERM/SIGINT.

    Configuration and start-up problems end the process with one line, secrets redacted
    (a ``NATS_URL`` or ``DATABASE_URL`` may carry a password).
    """
    try:
        settings = load()
    except ConfigError as exc:
        sys.exit(str(exc))
    redactor = SecretRedactor(secrets(settings))
    configure_logging(
        log_format=settings.vox.log_format,
        level=settings.vox.log_level,
        secrets=secrets(settings),
    )

    async def main() -> None:
        stop = asyncio.Event()
        install_stop_signals(stop)
        await serve(settings, stop)

    try:
        asyncio.run(main())
    except StartupError as exc:
        sys.exit(redactor.redact(f"{name} cannot start: {exc}"))
