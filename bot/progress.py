"""Showing a recording's progress by editing its one status message (never a new message)."""

from __future__ import annotations

import time
from collections.abc import Callable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from pydantic import ValidationError

from bot.i18n import Language, normalise_language, t
from voxpersona.contracts.progress import ProgressMessage, Stage
from voxpersona.logging import get_logger

log = get_logger(__name__)

# Telegram allows about one edit per second per chat; stay well inside it.
MIN_EDIT_INTERVAL = 2.0


def clock_text(seconds: float) -> str:
    """``75.4`` → ``1:15``; ``3725`` → ``1:02:05``."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def progress_text(message: ProgressMessage, language: Language) -> str:
    """The status line for one progress step."""
    if message.stage is Stage.ANALYSING:
        return t(language, "status_analysing")
    if message.stage is Stage.QUEUED:
        return t(language, "status_queued")
    text = t(language, "status_transcribing")
    fraction = message.fraction
    if fraction is not None and message.total_seconds:
        text += " " + t(
            language,
            "status_progress",
            percent=round(fraction * 100),
            done=clock_text(message.done_seconds or 0.0),
            total=clock_text(message.total_seconds),
        )
    if message.chunks and message.chunks > 1 and message.chunk:
        text += " " + t(language, "status_chunks", chunk=message.chunk, chunks=message.chunks)
    return text


class ProgressEditor:
    """Edits status messages as progress arrives, throttled per message."""

    def __init__(self, bot: Bot, clock: Callable[[], float] = time.monotonic) -> None:
        self._bot = bot
        self._clock = clock
        self._last_edit: dict[tuple[int, int], float] = {}
        self._last_text: dict[tuple[int, int], str] = {}

    async def subscribe(self, nc: NatsClient, subject: str, queue: str) -> Subscription:
        return await nc.subscribe(subject, queue=queue, cb=self._on_message)

    async def _on_message(self, msg: Msg) -> None:
        try:
            progress = ProgressMessage.model_validate_json(msg.data)
        except ValidationError:
            log.warning("progress.malformed")
            return
        await self.show(progress)

    async def show(self, progress: ProgressMessage) -> None:
        where = (progress.chat_id, progress.status_message_id)
        text = progress_text(progress, normalise_language(progress.interface_language))
        now = self._clock()
        final = progress.fraction is not None and progress.fraction >= 1.0
        last = self._last_edit.get(where)
        if self._last_text.get(where) == text:
            return
        if last is not None and now - last < MIN_EDIT_INTERVAL and not final:
            return
        self._last_edit[where] = now
        self._last_text[where] = text
        self._forget_old(now)
        try:
            await self._bot.edit_message_text(
                text=text, chat_id=progress.chat_id, message_id=progress.status_message_id
            )
        except TelegramRetryAfter:
            return  # the next step will try again
        except TelegramAPIError as exc:
            log.debug("progress.edit_failed", chat_id=progress.chat_id, reason=str(exc))

    def _forget_old(self, now: float) -> None:
        if len(self._last_edit) < 10_000:
            return
        for key, at in list(self._last_edit.items()):
            if now - at > 3600:
                self._last_edit.pop(key, None)
                self._last_text.pop(key, None)
