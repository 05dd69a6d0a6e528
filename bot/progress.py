"""Showing a recording's progress by editing its one status message (never a new message).

Stages only move forward (received → uploading → queued → transcribing → analysing → done):
a late or reordered update never steps back. Edits to one message are at least
:data:`MIN_EDIT_INTERVAL` apart; an update arriving sooner waits and is replaced by newer ones,
so a stage change is delayed, never lost, and progress within a stage is coalesced.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter
from aiogram.types import InlineKeyboardMarkup
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
STAGE_ORDER = tuple(Stage)
FINAL_STAGES = frozenset({Stage.DONE, Stage.FAILED})
_STAGE_TEXTS = {
    Stage.RECEIVED: "status_received",
    Stage.UPLOADING: "status_uploading",
    Stage.QUEUED: "status_queued",
    Stage.ANALYSING: "status_analysing",
    Stage.DELAYED: "status_delayed",
    Stage.DONE: "status_done",
    Stage.FAILED: "status_failed",
}


def clock_text(seconds: float) -> str:
    """``75.4`` → ``1:15``; ``3725`` → ``1:02:05``."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def progress_text(message: ProgressMessage, language: Language) -> str:
    """The status line for one progress step."""
    if message.stage in _STAGE_TEXTS:
        return t(language, _STAGE_TEXTS[message.stage])
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


def rank(stage: Stage) -> int:
    return STAGE_ORDER.index(stage)


@dataclass
class _Status:
    """What the editor knows about one status message."""

    rank: int = -1
    text: str | None = None
    edited_at: float | None = None
    pending: ProgressMessage | None = None
    timer: asyncio.Task[None] | None = None
    # Buttons shown under the message until the analysis starts (the scenario choice).
    markup: InlineKeyboardMarkup | None = None


class ProgressEditor:
    """Edits status messages as progress arrives, throttled per message."""

    def __init__(
        self,
        bot: Bot,
        clock: Callable[[], float] = time.monotonic,
        *,
        min_interval: float = MIN_EDIT_INTERVAL,
    ) -> None:
        self._bot = bot
        self._clock = clock
        self._min_interval = min_interval
        self._status: dict[tuple[int, int], _Status] = {}

    async def subscribe(self, nc: NatsClient, subject: str, queue: str) -> Subscription:
        return await nc.subscribe(subject, queue=queue, cb=self._on_message)

    async def _on_message(self, msg: Msg) -> None:
        try:
            progress = ProgressMessage.model_validate_json(msg.data)
        except ValidationError:
            log.warning("progress.malformed")
            return
        await self.show(progress)

    def register(
        self,
        chat_id: int,
        message_id: int,
        *,
        stage: Stage,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        """A status message the bot has just sent (showing ``stage`` as ``text``)."""
        self._forget_old()
        self._status[(chat_id, message_id)] = _Status(
            rank=rank(stage), text=text, edited_at=self._clock(), markup=markup
        )

    def markup(self, chat_id: int, message_id: int) -> InlineKeyboardMarkup | None:
        status = self._status.get((chat_id, message_id))
        return status.markup if status is not None else None

    def set_markup(
        self, chat_id: int, message_id: int, markup: InlineKeyboardMarkup | None
    ) -> None:
        """Buttons to keep under the message from now on (until the analysis starts)."""
        status = self._status.get((chat_id, message_id))
        if status is not None:
            status.markup = markup

    async def show(self, progress: ProgressMessage) -> None:
        """Show ``progress`` now, or as soon as the edit interval allows."""
        where = (progress.chat_id, progress.status_message_id)
        status = self._status.setdefault(where, _Status())
        new_rank = rank(progress.stage)
        floor = max(status.rank, rank(status.pending.stage) if status.pending else -1)
        if new_rank < floor:
            return  # never step back
        wait = 0.0
        if status.edited_at is not None:
            wait = status.edited_at + self._min_interval - self._clock()
        if wait <= 0 and status.timer is None:
            await self._edit(where, status, progress)
            return
        status.pending = progress
        if status.timer is None:
            status.timer = asyncio.create_task(self._flush_later(where, max(wait, 0.0)))

    async def _flush_later(self, where: tuple[int, int], delay: float) -> None:
        await asyncio.sleep(delay)
        status = self._status.get(where)
        if status is None:
            return
        status.timer = None
        pending, status.pending = status.pending, None
        if pending is not None:
            await self._edit(where, status, pending)

    async def _edit(
        self, where: tuple[int, int], status: _Status, progress: ProgressMessage
    ) -> None:
        text = progress_text(progress, normalise_language(progress.interface_language))
        status.rank = max(status.rank, rank(progress.stage))
        keep_buttons = status.rank < rank(Stage.ANALYSING)
        markup = status.markup if keep_buttons else None
        if text == status.text and (keep_buttons or status.markup is None):
            return  # nothing would change (Telegram rejects such an edit)
        status.text = text
        status.edited_at = self._clock()
        if not keep_buttons:
            status.markup = None
        try:
            await self._bot.edit_message_text(
                text=text, chat_id=where[0], message_id=where[1], reply_markup=markup
            )
        except TelegramRetryAfter as exc:
            # Come back once Telegram allows it, with whatever is newest by then.
            status.edited_at = self._clock() + exc.retry_after
        except TelegramAPIError as exc:
            log.debug("progress.edit_failed", chat_id=where[0], reason=str(exc))

    def _forget_old(self) -> None:
        if len(self._status) < 10_000:
            return
        now = self._clock()
        for key, status in list(self._status.items()):
            if status.timer is None and (status.edited_at is None or now - status.edited_at > 3600):
                self._status.pop(key, None)

    async def close(self) -> None:
        """Flush nothing more: cancel waiting edits (shutdown)."""
        for status in self._status.values():
            if status.timer is not None:
                status.timer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await status.timer
