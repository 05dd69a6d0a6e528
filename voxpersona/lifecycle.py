"""Process lifecycle helpers shared by the services' entry points."""

from __future__ import annotations

import asyncio
import signal


class StartupError(Exception):
    """A dependency is unusable at start-up; the message says which and why, in one line."""


def install_stop_signals(stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT set ``stop``: the services then drain and exit cleanly."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
