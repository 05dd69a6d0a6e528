"""Showing a recording's progress by editing its one status message (never a new message).

Stages only move forward (received → uploading → queued → transcribing → analysing → done):
a late or reordered update never steps back. Edits to one message are at least
:data:`MIN_EDIT_INTERVAL` apart, and edits in one chat at least :data:`PRIVATE_CHAT_INTERVAL`
(:data:`GROUP_CHAT_INTERVAL` in groups: Telegram allows about one message a second in a chat and
20 a minute in a group). An update arriving sooner waits and is replaced by newer ones, so a
stage change is delayed, never lost, and progress within a stage is coalesced. A text counts as
shown only once Telegram accepted the edit: a 429 keeps the update pending and retries it after
``retry_after``; "message is not modified" counts as shown; a deleted status message is
forgotten; a group upgraded to a supergroup gets the status message anew in the supergroup.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramMigrateToChat,
    TelegramRetryAfter,
)
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
PRIVATE_CHAT_INTERVAL = 1.0
GROUP_CHAT_INTERVAL = 3.0  # 20 messages a minute in a group
# Transient failures (5xx, network) of one edit before it is given up.
MAX_EDIT_FAILURES = 3
STAGE_ORDER = tuple(Stage)
FINAL_STAGES = frozenset({Stage.DONE, Stage.FAILED})
_STAGE_TEXTS = {
    Stage.RECEIVED: "status_received",
    Stage.UPLOADING: "status_uploading",
    Stage.QUEUED: "status_queued",
    Stage.ANALYSING: "status_analysing",
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


@dataclass(frozen=True, slots=True)
class _Update:
    """A text to show at a stage's rank."""

    rank: int
    text: str


@dataclass
class _Status:
    """What the editor knows about one status message."""

    rank: int = -1  # the stage Telegram has shown
    text: str | None = None  # the text Telegram has shown
    edited_at: float | None = None
    pending: _Update | None = None
    timer: asyncio.Task[None] | None = None
    failures: int = 0
    # Buttons shown under the message until the analysis starts (the scenario choice).
    markup: InlineKeyboardMarkup | None = None


Where = tuple[int, int]


def chat_interval(chat_id: int) -> float:
    """Group and channel ids are negative; private chats' ids are the users' (positive)."""
    return GROUP_CHAT_INTERVAL if chat_id < 0 else PRIVATE_CHAT_INTERVAL


class ProgressEditor:
    """Edits status messages as progress arrives, throttled per message and per chat."""

    def __init__(
        self,
        bot: Bot,
        clock: Callable[[], float] = time.monotonic,
        *,
        min_interval: float = MIN_EDIT_INTERVAL,
        chat_interval: Callable[[int], float] = chat_interval,
    ) -> None:
        self._bot = bot
        self._clock = clock
        self._min_interval = min_interval
        self._chat_interval = chat_interval
        self._status: dict[Where, _Status] = {}
        self._chat_free_at: dict[int, float] = {}
        # Status messages sent anew after their group became a supergroup: old -> new.
        self._moved: dict[Where, Where] = {}
        # Status messages that can no longer be edited (deleted by the user, too old).
        self._gone: set[Where] = set()

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
        now = self._clock()
        self._status[(chat_id, message_id)] = _Status(
            rank=rank(stage), text=text, edited_at=now, markup=markup
        )
        self._chat_free_at[chat_id] = now + self._chat_interval(chat_id)

    def where(self, chat_id: int, message_id: int) -> Where:
        """Where the status message is now (another chat after a group upgrade)."""
        return self._moved.get((chat_id, message_id), (chat_id, message_id))

    def markup(self, chat_id: int, message_id: int) -> InlineKeyboardMarkup | None:
        status = self._status.get(self.where(chat_id, message_id))
        return status.markup if status is not None else None

    def set_markup(
        self, chat_id: int, message_id: int, markup: InlineKeyboardMarkup | None
    ) -> None:
        """Buttons to keep under the message from now on (until the analysis starts)."""
        status = self._status.get(self.where(chat_id, message_id))
        if status is not None:
            status.markup = markup

    async def show(self, progress: ProgressMessage) -> None:
        """Show ``progress`` now, or as soon as the edit intervals allow."""
        text = progress_text(progress, normalise_language(progress.interface_language))
        await self._submit(
            self.where(progress.chat_id, progress.status_message_id), rank(progress.stage), text
        )

    async def replace(self, chat_id: int, message_id: int, stage: Stage, text: str) -> None:
        """Show a text of the bot's own at ``stage`` (an explanation, "queued"), with the same
        throttling and guards as progress."""
        await self._submit(self.where(chat_id, message_id), rank(stage), text)

    async def _submit(self, where: Where, new_rank: int, text: str) -> None:
        if where in self._gone:
            return
        status = self._status.setdefault(where, _Status())
        floor = max(status.rank, status.pending.rank if status.pending else -1)
        if new_rank < floor:
            return  # never step back
        status.pending = _Update(new_rank, text)
        if status.timer is not None:
            return  # the waiting flush will show the newest update
        wait = self._free_at(where, status) - self._clock()
        if wait <= 0:
            await self._flush(where, status)
        else:
            self._schedule(where, status, wait)

    def _free_at(self, where: Where, status: _Status) -> float:
        message_free = (status.edited_at or -math.inf) + self._min_interval
        return max(message_free, self._chat_free_at.get(where[0], -math.inf))

    def _schedule(self, where: Where, status: _Status, delay: float) -> None:
        status.timer = asyncio.create_task(self._flush_later(where, max(delay, 0.0)))

    async def _flush_later(self, where: Where, delay: float) -> None:
        await asyncio.sleep(delay)
        status = self._status.get(where)
        if status is None:
            return
        status.timer = None
        wait = self._free_at(where, status) - self._clock()
        if wait > 0:  # another message in the chat took the slot meanwhile
            self._schedule(where, status, wait)
            return
        await self._flush(where, status)

    async def _flush(self, where: Where, status: _Status) -> None:
        update, status.pending = status.pending, None
        if update is None:
            return
        shown_rank = max(status.rank, update.rank)
        keep_buttons = shown_rank < rank(Stage.ANALYSING)
        markup = status.markup if keep_buttons else None
        if update.text == status.text and (keep_buttons or status.markup is None):
            status.rank = shown_rank
            return  # nothing would change (Telegram rejects such an edit)
        now = self._clock()
        status.edited_at = now
        self._chat_free_at[where[0]] = now + self._chat_interval(where[0])
        try:
            await self._bot.edit_message_text(
                text=update.text, chat_id=where[0], message_id=where[1], reply_markup=markup
            )
        except TelegramRetryAfter as exc:
            self._retry_after(where, status, update, exc.retry_after)
            return
        except TelegramMigrateToChat as exc:
            await self._move(where, status, update, exc.migrate_to_chat_id, markup)
            return
        except TelegramBadRequest as exc:
            if not self._settled_by(where, exc):
                return
        except TelegramAPIError as exc:  # 5xx, network: a few more tries
            self._transient_failure(where, status, update, exc)
            return
        status.failures = 0
        status.text, status.rank = update.text, shown_rank
        if not keep_buttons:
            status.markup = None

    def _retry_after(self, where: Where, status: _Status, update: _Update, delay: float) -> None:
        """Telegram said wait: the update stays pending (unless a newer one arrived)."""
        log.info("progress.flood_wait", chat_id=where[0], retry_after=delay)
        if status.pending is None:
            status.pending = update
        free_at = self._clock() + delay
        status.edited_at = free_at - self._min_interval
        self._chat_free_at[where[0]] = max(self._chat_free_at.get(where[0], 0.0), free_at)
        if status.timer is None:
            self._schedule(where, status, delay)

    def _transient_failure(
        self, where: Where, status: _Status, update: _Update, exc: TelegramAPIError
    ) -> None:
        status.failures += 1
        if status.failures >= MAX_EDIT_FAILURES:
            log.warning("progress.edit_failed", chat_id=where[0], reason=str(exc))
            status.failures = 0
            return
        if status.pending is None:
            status.pending = update
        if status.timer is None:
            self._schedule(where, status, self._min_interval * status.failures)

    def _settled_by(self, where: Where, exc: TelegramBadRequest) -> bool:
        """Whether a 400 still means the text is shown ("not modified"); forgets a message
        that can no longer be edited (deleted, too old)."""
        reason = exc.message.lower()
        if "not modified" in reason:
            return True
        if "not found" in reason or "can't be edited" in reason:
            log.info("progress.status_gone", chat_id=where[0], reason=exc.message)
            self._gone.add(where)
            status = self._status.pop(where, None)
            if status is not None and status.timer is not None:
                status.timer.cancel()
            return False
        log.warning("progress.edit_refused", chat_id=where[0], reason=exc.message)
        return False

    async def _move(
        self,
        where: Where,
        status: _Status,
        update: _Update,
        new_chat_id: int,
        markup: InlineKeyboardMarkup | None,
    ) -> None:
        """The group became a supergroup: the old message can no longer be edited, so the
        status continues in a new message there (later updates for the old one follow it)."""
        try:
            sent = await self._bot.send_message(new_chat_id, update.text, reply_markup=markup)
        except TelegramAPIError as exc:
            log.warning("progress.move_failed", chat_id=new_chat_id, reason=str(exc))
            return
        new = (new_chat_id, sent.message_id)
        log.info("progress.group_upgraded", chat_id=where[0], new_chat_id=new_chat_id)
        self._status.pop(where, None)
        self._moved[where] = new
        moved = _Status(rank=max(status.rank, update.rank), text=update.text, markup=markup)
        moved.edited_at = self._clock()
        self._status[new] = moved
        self._chat_free_at[new_chat_id] = moved.edited_at + self._chat_interval(new_chat_id)

    def _forget_old(self) -> None:
        if len(self._status) < 10_000:
            return
        now = self._clock()
        for key, status in list(self._status.items()):
            if status.timer is None and (status.edited_at is None or now - status.edited_at > 3600):
                self._status.pop(key, None)
        for chat_id, free_at in list(self._chat_free_at.items()):
            if free_at < now:
                del self._chat_free_at[chat_id]
        if len(self._moved) > 10_000:
            self._moved.clear()
        if len(self._gone) > 10_000:
            self._gone.clear()

    async def close(self) -> None:
        """Flush nothing more: cancel waiting edits (shutdown)."""
        for status in self._status.values():
            if status.timer is not None:
                status.timer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await status.timer
