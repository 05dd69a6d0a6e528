"""Small asyncio helpers the stages share."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


async def gather_or_cancel(awaitables: Iterable[Awaitable[T]]) -> list[T]:
    """Like ``asyncio.gather``, but the first failure cancels the rest before it propagates
    (unlike ``TaskGroup`` it raises the error itself, not an ``ExceptionGroup``)."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


class CancellableWorkers:
    """Blocking jobs in daemon threads, at most ``size`` at once.

    A job receives a ``stop`` event. When the task awaiting it is cancelled (an ack deadline, a
    stage deadline, shutdown) the event is set, the job returns at its next check, and only
    then is its slot given back: a slot always means a thread really working, and a cancelled
    job no longer computes for nobody. The threads are daemons, so a job that cannot stop yet
    (inside one long native call) never holds up the process's exit.
    """

    def __init__(self, size: int, *, name: str) -> None:
        self._slots = asyncio.Semaphore(size)
        self._name = name
        self._stops: set[threading.Event] = set()

    @property
    def running(self) -> int:
        """Jobs whose thread has not returned yet (cancelled ones included)."""
        return len(self._stops)

    async def run(self, job: Callable[[threading.Event], T]) -> T:
        await self._slots.acquire()
        loop = asyncio.get_running_loop()
        stop = threading.Event()
        self._stops.add(stop)
        waiter: asyncio.Future[T] = loop.create_future()

        def finish(result: T | None, error: BaseException | None) -> None:
            self._stops.discard(stop)
            self._slots.release()
            if waiter.done():  # the awaiting task was cancelled: nobody wants the result
                return
            if error is not None:
                waiter.set_exception(error)
            else:
                waiter.set_result(result)  # type: ignore[arg-type]

        def work() -> None:
            result: T | None = None
            error: BaseException | None = None
            try:
                result = job(stop)
            except BaseException as exc:
                error = exc
            # The loop may be closed already (the process is exiting): nothing left to tell.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(finish, result, error)

        threading.Thread(target=work, name=self._name, daemon=True).start()
        try:
            return await waiter
        except asyncio.CancelledError:
            stop.set()
            raise

    def stop_all(self) -> None:
        """Ask every running job to stop (shutdown)."""
        for stop in list(self._stops):
            stop.set()
