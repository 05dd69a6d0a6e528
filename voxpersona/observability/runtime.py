"""Running a service's observability: the HTTP server and its sampling loops, for as long as
the service runs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine, Iterable
from typing import Any

from voxpersona.observability.http import ObservabilityServer
from voxpersona.settings import VoxSettings

QUEUE_SAMPLE_SECONDS = 10.0


def status_token(vox: VoxSettings) -> str | None:
    return vox.status_token.get_secret_value() if vox.status_token is not None else None


@contextlib.asynccontextmanager
async def serving(
    server: ObservabilityServer, loops: Iterable[Coroutine[Any, Any, None]] = ()
) -> AsyncIterator[ObservabilityServer]:
    """Start the server and the loops; stop both however the body ends."""
    tasks = [asyncio.create_task(loop) for loop in loops]
    try:
        await server.start()
        yield server
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.stop()
