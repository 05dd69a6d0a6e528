"""Getting a file's bytes out of the Bot API.

``getFile`` errors are told apart as the server words them (telegram-bot-api/Client.cpp):
only "file is too big" means too big; "wrong file_id or the file is temporarily unavailable"
(which also covers the server's own 429s and 5xx from Telegram while downloading), a 429 with
``retry_after``, 5xx and network errors are retried with backoff, then explained. A local Bot
API server in ``--local`` mode answers an absolute path on its disk and serves no ``/file/``
route: the bytes are read from the shared volume (aiogram's ``TelegramAPIServer.is_local`` with
its ``wrap_local_file`` path mapping), never fetched over HTTP.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from aiogram import Bot
from aiogram.client.telegram import SimpleFilesPathWrapper, TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import File

from voxpersona.settings import TelegramSettings

CHUNK_SIZE = 1024 * 1024
MAX_BACKOFF = 30.0


class FileProblem(StrEnum):
    """Why a Telegram file could not be had; each has a catalogue text of its own."""

    TOO_BIG = "too_big"  # "Bad Request: file is too big"
    UNAVAILABLE = "unavailable"  # wrong file_id or temporarily unavailable, after retries
    TELEGRAM_DOWN = "telegram_down"  # 429/5xx/network errors, after retries
    LOCAL_UNREADABLE = "local_unreadable"  # --local: the path is not readable here


class TelegramFileError(Exception):
    """A file Telegram would not (or could not) hand over; ``problem`` says why."""

    def __init__(self, problem: FileProblem, detail: str) -> None:
        super().__init__(f"{problem.value}: {detail}")
        self.problem = problem
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Attempt:
    """What to do after a failed ``getFile``: retry after ``delay`` seconds, or give up."""

    problem: FileProblem
    delay: float | None  # None: do not retry


def plan_get_file_retry(
    error: BaseException, attempt: int, *, attempts: int, base_delay: float = 1.0
) -> Attempt:
    """Pure: classify a ``getFile`` failure and decide on a retry (``attempt`` is 1-based)."""
    problem, retry_after, transient = _classify(error)
    if not transient or attempt >= attempts:
        return Attempt(problem, None)
    if retry_after is not None:
        return Attempt(problem, float(retry_after))
    backoff = min(MAX_BACKOFF, base_delay * 2 ** (attempt - 1))
    return Attempt(problem, backoff * random.uniform(0.5, 1.0))


def _classify(error: BaseException) -> tuple[FileProblem, int | None, bool]:
    if isinstance(error, TelegramRetryAfter):
        return FileProblem.TELEGRAM_DOWN, error.retry_after, True
    if isinstance(error, TelegramBadRequest):
        message = error.message.lower()
        if "file is too big" in message:
            return FileProblem.TOO_BIG, None, False
        # Client.cpp: "wrong file_id or the file is temporarily unavailable" — also what a
        # download failing with a 429 or 5xx upstream turns into. Other 400s are final.
        return FileProblem.UNAVAILABLE, None, "temporarily unavailable" in message
    if isinstance(error, TelegramServerError | TelegramNetworkError | TimeoutError):
        return FileProblem.TELEGRAM_DOWN, None, True
    return FileProblem.UNAVAILABLE, None, False


Sleep = Callable[[float], Awaitable[None]]


async def get_file(
    bot: Bot,
    file_id: str,
    *,
    timeout: float,
    attempts: int,
    base_delay: float = 1.0,
    sleep: Sleep = asyncio.sleep,
) -> File:
    """``getFile`` with retries; :class:`TelegramFileError` once it cannot succeed.

    ``timeout`` covers one call: a ``--local`` server answers only after downloading the
    whole file, which for 2 GB takes minutes.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return await bot.get_file(file_id, request_timeout=int(timeout))
        except (TelegramBadRequest, TelegramRetryAfter, TelegramServerError) as exc:
            error: BaseException = exc
        except TelegramNetworkError as exc:  # aiogram's timeout and connection errors
            error = exc
        plan = plan_get_file_retry(error, attempt, attempts=attempts, base_delay=base_delay)
        if plan.delay is None:
            raise TelegramFileError(plan.problem, str(error)) from error
        await sleep(plan.delay)


def api_server(settings: TelegramSettings) -> TelegramAPIServer:
    """aiogram's server description: in local mode with the path mapping, if one is needed."""
    if not settings.local_api:
        return TelegramAPIServer.from_base(settings.api_url)
    server_dir = settings.local_server_dir or settings.local_files_dir
    if server_dir == settings.local_files_dir:
        return TelegramAPIServer.from_base(settings.api_url, is_local=True)
    wrapper = SimpleFilesPathWrapper(server_dir, settings.local_files_dir)
    return TelegramAPIServer.from_base(settings.api_url, is_local=True, wrap_local_file=wrapper)


def local_path(api: TelegramAPIServer, file_path: str) -> Path:
    """Where this process finds a file the ``--local`` server named ``file_path``."""
    if not Path(file_path).is_absolute():
        raise TelegramFileError(
            FileProblem.LOCAL_UNREADABLE,
            "the server gave a relative file path: is it really running with --local?",
        )
    try:
        return Path(api.wrap_local_file.to_local(file_path))
    except ValueError:
        raise TelegramFileError(
            FileProblem.LOCAL_UNREADABLE,
            "the file lies outside TELEGRAM_LOCAL_SERVER_DIR (check the path mapping)",
        ) from None


async def local_chunks(path: Path) -> AsyncIterator[bytes]:
    """The file's bytes from disk, a chunk at a time (never the whole file in memory)."""
    try:
        handle = await asyncio.to_thread(path.open, "rb")
    except OSError as exc:
        # The name only: the server's folder for the bot is named after the bot's token.
        reason = exc.strerror or type(exc).__name__
        raise TelegramFileError(FileProblem.LOCAL_UNREADABLE, f"{path.name}: {reason}") from exc
    try:
        while chunk := await asyncio.to_thread(handle.read, CHUNK_SIZE):
            yield chunk
    finally:
        handle.close()


def local_dir_problem(settings: TelegramSettings) -> str | None:
    """Start-up check in local mode: why the bot cannot read the server's files, or None.

    The server (uid 101 in the aiogram image) creates its folders 0750 and files 0640, so the
    bot needs to be in the files' group (101) — or the volume is not mounted at all.
    """
    folder = settings.local_files_dir
    who = f"uid {os.getuid()}, groups {sorted(os.getgroups())}"
    if not folder.is_dir():
        return f"TELEGRAM_LOCAL_FILES_DIR {folder} does not exist here (mount the volume)"
    if not os.access(folder, os.R_OK | os.X_OK):
        return (
            f"TELEGRAM_LOCAL_FILES_DIR {folder} is not readable by this process ({who}); "
            "run the bot in the server's group (101) — see the local-bot-api section"
        )
    for child in _subfolders(folder):
        if not os.access(child, os.R_OK | os.X_OK):
            # The bot's own folder is named after its token: never print its name.
            return (
                f"a folder under TELEGRAM_LOCAL_FILES_DIR {folder} is not readable by this "
                f"process ({who}); run the bot in the server's group (101)"
            )
    return None


def _subfolders(folder: Path) -> list[Path]:
    try:
        return [child for child in folder.iterdir() if child.is_dir()]
    except OSError:
        return []
