"""Delivering results to users: a thin handler on the consumer core, a pure plan of the parts
a result sends, and a send path that journals each confirmed part, paces sends per chat and
follows a group upgraded to a supergroup."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace

import asyncpg
import nats.errors
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import BufferedInputFile, Message, MessageEntity, ReplyParameters
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from pydantic import ValidationError

from bot.chat_migration import ChatMoves
from bot.delivery_journal import DeliveryJournal
from bot.formatting import format_markdown
from bot.i18n import Language, normalise_language, reason_text, scenario_title, t
from bot.pacing import ChatPacer, KeyedLocks
from bot.progress import ProgressEditor
from bot.repos.uploads import Uploads
from bot.speakers import with_turns
from bot.splitting import split_message
from bot.transcripts import StoredAnalysis, StoredTranscript, TranscriptReader
from voxpersona.consumer import Heartbeat, RetryPolicy, Settlement, Verdict
from voxpersona.consumer.dead_letter import Letter, letter_of, publish_dead_letter
from voxpersona.contracts.progress import ProgressMessage, Stage
from voxpersona.contracts.results import RecordingStatus, ResultMessage
from voxpersona.logging import get_logger
from voxpersona.retry import backoff_delay

log = get_logger(__name__)

# How long a part Telegram confirmed may wait for its journal entry (PostgreSQL down) before
# the delivery gives up and is redelivered (which may then send that one part again).
JOURNAL_PATIENCE = 300.0
_DATABASE_DOWN = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.InterfaceError,
    asyncpg.TooManyConnectionsError,
)


class TranscriptMissingError(Exception):
    """A ``done`` result whose transcript is not readable yet (or not this user's)."""


def refuses_entities(message: str) -> bool:
    """Telegram's refusals of a message's formatting ("Bad Request: can't parse entities: …",
    "… entity …"; telegram-bot-api Client.cpp passes tdlib's wording through)."""
    lowered = message.lower()
    return "entit" in lowered


def delivery_policy(max_attempts: int, max_delay: float) -> RetryPolicy:
    """Results wait out Telegram and PostgreSQL outages: backoff from 2 s to ``max_delay``."""
    return RetryPolicy(max_attempts=max_attempts, base_delay=2.0, max_delay=max_delay)


def delivery_verdict(error: BaseException) -> Verdict:
    """Every way a delivery can fail, classified (pure). Nothing here stops the bot."""
    reason = f"{type(error).__name__}: {error}"
    if isinstance(error, TelegramRetryAfter):
        return Verdict.retry("telegram_throttled", reason, delay=float(error.retry_after))
    if isinstance(error, TelegramMigrateToChat):
        # Followed inside the send path; reaching here means the new chat failed as well.
        return Verdict.retry("chat_migrated", reason, delay=0.0)
    if isinstance(error, TelegramForbiddenError | TelegramNotFound):
        # Blocked by the user, kicked from the group, chat deleted: nobody to deliver to.
        return Verdict.reject("chat_unreachable", reason)
    if isinstance(error, TelegramBadRequest):
        if "chat not found" in error.message.lower():
            return Verdict.reject("chat_unreachable", reason)
        # A request Telegram will never accept: our bug, kept for an operator.
        return Verdict.give_up("telegram_bad_request", reason)
    if isinstance(error, TelegramServerError | TelegramNetworkError):
        return Verdict.retry("telegram_unavailable", reason)
    if isinstance(error, TelegramUnauthorizedError | TelegramConflictError):
        return Verdict.retry("telegram_misconfigured", reason)  # an operator alarm meanwhile
    if isinstance(error, TranscriptMissingError):
        return Verdict.retry("transcript_missing", reason)
    if isinstance(error, (*_DATABASE_DOWN, asyncpg.PostgresError)):
        return Verdict.retry("database_unavailable", reason)
    if isinstance(error, nats.errors.Error):
        return Verdict.retry("nats_unavailable", reason)
    return Verdict.retry("internal_error", reason)


@dataclass(frozen=True, slots=True)
class OutgoingPart:
    """One send of a result. ``key`` names it in the delivery journal."""

    key: str
    text: str
    entities: tuple[MessageEntity, ...] | None = None
    filename: str | None = None  # set: ``text`` is the caption of a document
    document: bytes | None = None


def plan_parts(text: str, header: str, max_messages: int) -> tuple[list[str], bool]:
    """The messages to send and whether to attach the full text as a ``.txt`` document.

    Short transcripts arrive as messages; long ones as a preview message plus the document,
    so a three-hour meeting does not flood the chat.
    """
    parts = split_message(f"{header}\n\n{text}")
    if len(parts) <= max_messages:
        return parts, False
    return parts[:1], True


def _text_parts(
    kind: str, text: str, header: str, max_messages: int, *, filename: str, caption: str
) -> list[OutgoingPart]:
    parts, as_document = plan_parts(text, header, max_messages)
    out = [OutgoingPart(f"{kind}:{i}", part) for i, part in enumerate(parts, start=1)]
    if as_document:
        out.append(OutgoingPart(f"{kind}:file", caption, filename=filename, document=text.encode()))
    return out


def _formatted_parts(
    markdown: str, header: str, max_messages: int, *, filename: str, caption: str
) -> list[OutgoingPart]:
    """An LLM's Markdown as Telegram entities (never a parse mode: nothing an LLM writes can
    make the send fail); too long for ``max_messages``: the first message plus the file."""
    messages = format_markdown(markdown, header=header)
    out = [
        OutgoingPart(f"analysis:{i}", message.text, entities=tuple(message.entities) or None)
        for i, message in enumerate(messages, start=1)
    ]
    if len(out) <= max_messages:
        return out
    document = OutgoingPart("analysis:file", caption, filename=filename, document=markdown.encode())
    return [out[0], document]


def analysis_parts(
    result: ResultMessage, analysis: StoredAnalysis | None, language: Language, max_messages: int
) -> list[OutgoingPart]:
    """The analysis itself, or a note on why it is not here (yet)."""
    if analysis is not None:
        header = t(language, "analysis_header", title=scenario_title(language, analysis.scenario))
        return _formatted_parts(
            analysis.text,
            header,
            max_messages,
            filename=f"analysis-{result.recording_id}.md",
            caption=t(language, "analysis_file_caption"),
        )
    if result.analysis == "pending":
        return [OutgoingPart("analysis_pending", t(language, "analysis_pending"))]
    if result.analysis == "failed":
        reason = reason_text(language, result.analysis_reason_code)
        return [OutgoingPart("analysis_failed", t(language, "analysis_failed", reason=reason))]
    return []


def result_parts(
    result: ResultMessage,
    stored: StoredTranscript | None,
    analysis: StoredAnalysis | None,
    language: Language,
    max_messages: int,
) -> list[OutgoingPart]:
    """Everything one result sends, in order (pure)."""
    if result.part == "analysis":
        return analysis_parts(result, analysis, language, max_messages)
    if result.status is not RecordingStatus.DONE or stored is None:
        reason = reason_text(language, result.reason_code)
        return [OutgoingPart("failed", t(language, "failed", reason=reason))]
    stored = with_turns(stored, language)  # speakers: "Спикер 1: …" turns
    name = f" «{stored.original_name}»" if stored.original_name else ""
    parts = _text_parts(
        "transcript",
        stored.text,
        t(language, "transcript_header", name=name),
        max_messages,
        filename=f"transcript-{result.recording_id}.txt",
        caption=t(language, "transcript_file_caption"),
    )
    parts += analysis_parts(result, analysis, language, max_messages)
    if result.analysis == "none" and stored.scenario != "none":
        # Not declined by the user: the server has no analysis configured.
        parts.append(OutgoingPart("analysis_off", t(language, "analysis_off")))
    return parts


async def no_beat() -> None:
    return None


class Deliverer:
    """Sends one result to its chat, and marks the recording's status message done."""

    def __init__(
        self,
        bot: Bot,
        transcripts: TranscriptReader,
        *,
        max_messages: int,
        uploads: Uploads | None = None,
        editor: ProgressEditor | None = None,
        journal: DeliveryJournal | None = None,
        pacer: ChatPacer | None = None,
        chat_moves: ChatMoves | None = None,
    ) -> None:
        self._bot = bot
        self._transcripts = transcripts
        self._max_messages = max_messages
        self._uploads = uploads
        self._editor = editor
        self._journal = journal
        self._pacer = pacer or ChatPacer(private_interval=0.0, group_interval=0.0)
        self._chat_moves = chat_moves
        self._chat_turns = KeyedLocks()

    async def deliver(self, result: ResultMessage, beat: Heartbeat = no_beat) -> None:
        """Read everything first, then send the parts the journal has not seen confirmed.
        Results to one chat go one after the other, in the order they were fetched."""
        async with self._chat_turns.hold(result.chat_id):
            parts = await self._plan(result)
            await self._send_all(result, parts, beat, journaled=self._journal is not None)
            await self._finish(result)

    async def deliver_stored(
        self,
        recording_id: uuid.UUID,
        *,
        user_id: int,
        chat_id: int,
        reply_to: int | None,
        language: Language,
    ) -> None:
        """Send a finished recording's transcript and analysis again (the same file resent)."""
        stored = await self._transcripts.get(recording_id, user_id=user_id)
        if stored is None:
            raise TranscriptMissingError(str(recording_id))
        analysis = stored.analysis_status
        result = ResultMessage(
            recording_id=recording_id,
            user_id=user_id,
            chat_id=chat_id,
            reply_to_message_id=reply_to,
            status=RecordingStatus.DONE,
            interface_language=language,
            analysis=analysis if analysis in ("done", "failed") else "none",
        )
        # Asked for again on purpose: not journaled, not skipped.
        await self._send_all(result, await self._plan(result), no_beat, journaled=False)

    async def stored_analysis(
        self, recording_id: uuid.UUID, *, user_id: int
    ) -> StoredAnalysis | None:
        """A finished analysis of the user's recording (the library's analysis button)."""
        return await self._transcripts.analysis(recording_id, user_id=user_id)

    async def _plan(self, result: ResultMessage) -> list[OutgoingPart]:
        language = normalise_language(result.interface_language)
        stored = None
        if result.part == "transcript" and result.status is RecordingStatus.DONE:
            stored = await self._transcripts.get(result.recording_id, user_id=result.user_id)
            if stored is None:
                raise TranscriptMissingError(str(result.recording_id))
        analysis = await self._analysis_if_done(result)
        return result_parts(result, stored, analysis, language, self._max_messages)

    async def _analysis_if_done(self, result: ResultMessage) -> StoredAnalysis | None:
        if result.analysis != "done":
            return None
        analysis = await self._transcripts.analysis(result.recording_id, user_id=result.user_id)
        if analysis is None:
            raise TranscriptMissingError(f"analysis of {result.recording_id}")
        return analysis

    async def _send_all(
        self,
        result: ResultMessage,
        parts: Sequence[OutgoingPart],
        beat: Heartbeat,
        *,
        journaled: bool,
    ) -> None:
        run = result.run_id or ""
        confirmed: set[str] = set()
        if journaled and self._journal is not None:
            confirmed = await self._journal.confirmed(result.recording_id, run)
        chat_id = result.chat_id
        for part in parts:
            if part.key in confirmed:
                log.info("delivery.part_skipped", part=part.key, reason="already confirmed")
                continue
            sent, chat_id = await self._send_followed(chat_id, result, part)
            if journaled and self._journal is not None:
                await self._journal_sent(result, run, part, chat_id, sent, beat)
            await beat()

    async def _send_followed(
        self, chat_id: int, result: ResultMessage, part: OutgoingPart
    ) -> tuple[Message, int]:
        """Send ``part``; a group that became a supergroup is followed to its new id."""
        try:
            return await self._send_paced(chat_id, result, part), chat_id
        except TelegramMigrateToChat as exc:
            new_chat_id = exc.migrate_to_chat_id
            log.warning("delivery.chat_migrated", old_chat_id=chat_id, new_chat_id=new_chat_id)
            if self._chat_moves is not None:
                await self._chat_moves.moved(chat_id, new_chat_id)
            return await self._send_paced(new_chat_id, result, part), new_chat_id

    async def _send_paced(self, chat_id: int, result: ResultMessage, part: OutgoingPart) -> Message:
        async with self._pacer.lock(chat_id):
            await self._pacer.wait_turn(chat_id)
            try:
                return await self._send(chat_id, result, part)
            finally:
                self._pacer.sent(chat_id)

    async def _send(self, chat_id: int, result: ResultMessage, part: OutgoingPart) -> Message:
        try:
            return await self._send_once(chat_id, result, part)
        except TelegramBadRequest as exc:
            if not part.entities or not refuses_entities(exc.message):
                raise
            # Our entities are checked before sending; should Telegram refuse them anyway, the
            # words still reach the user, unformatted.
            log.warning("delivery.entities_refused", reason=exc.message)
            return await self._send_once(chat_id, result, replace(part, entities=None))

    async def _send_once(self, chat_id: int, result: ResultMessage, part: OutgoingPart) -> Message:
        reply = self._reply_to(result)
        if part.document is not None:
            return await self._bot.send_document(
                chat_id,
                BufferedInputFile(part.document, filename=part.filename or "result.txt"),
                caption=part.text,
                caption_entities=list(part.entities) if part.entities else None,
                reply_parameters=reply,
            )
        return await self._bot.send_message(
            chat_id,
            part.text,
            entities=list(part.entities) if part.entities else None,
            reply_parameters=reply,
        )

    async def _journal_sent(
        self,
        result: ResultMessage,
        run: str,
        part: OutgoingPart,
        chat_id: int,
        sent: Message,
        beat: Heartbeat,
    ) -> None:
        """Telegram confirmed ``part``: remember it, waiting out a database outage (the
        heartbeat keeps the message ours meanwhile), so a redelivery does not send it again."""
        assert self._journal is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + JOURNAL_PATIENCE
        attempt = 0
        while True:
            try:
                await self._journal.record(
                    result.recording_id, run, part.key, chat_id=chat_id, message_id=sent.message_id
                )
                return
            except _DATABASE_DOWN as exc:
                attempt += 1
                if loop.time() >= deadline:
                    raise
                log.warning("delivery.journal_retry", part=part.key, reason=type(exc).__name__)
                await beat()
                await asyncio.sleep(backoff_delay(attempt, base=0.5, cap=5.0))

    async def _finish(self, result: ResultMessage) -> None:
        """The status message shows done (or failed) once nothing more is to come."""
        if self._uploads is None or self._editor is None:
            return
        if result.part == "transcript" and result.analysis == "pending":
            return  # the analysis follows in its own message
        where = await self._uploads.status_message(result.recording_id)
        if where is None:
            return
        failed = result.part == "transcript" and result.status is RecordingStatus.FAILED
        await self._editor.show(
            ProgressMessage(
                chat_id=where.chat_id,
                status_message_id=where.message_id,
                stage=Stage.FAILED if failed else Stage.DONE,
                interface_language=result.interface_language,
            )
        )

    async def tell_undelivered(self, result: ResultMessage) -> None:
        """A short note that the result could not be sent (best effort, once, never raises)."""
        language = normalise_language(result.interface_language)
        part = OutgoingPart("undelivered", t(language, "delivery_failed"))
        try:
            await self._send_all(result, [part], no_beat, journaled=self._journal is not None)
        except Exception as exc:
            log.warning("delivery.notice_failed", reason=f"{type(exc).__name__}: {exc}")

    @staticmethod
    def _reply_to(result: ResultMessage) -> ReplyParameters | None:
        if result.reply_to_message_id is None:
            return None
        return ReplyParameters(
            message_id=result.reply_to_message_id, allow_sending_without_reply=True
        )


class DeliveryHandler:
    """The results consumer's :class:`voxpersona.consumer.MessageHandler`: acks only once the
    user has every part; dead letters go to the shared dead-letter stream."""

    def __init__(
        self, deliverer: Deliverer, js: JetStreamContext, dead_letter_subject: str
    ) -> None:
        self._deliverer = deliverer
        self._js = js
        self._dead_letter_subject = dead_letter_subject

    async def handle(self, msg: Msg, beat: Heartbeat) -> Verdict:
        try:
            result = ResultMessage.model_validate_json(msg.data)
        except ValidationError as exc:
            return Verdict.reject("malformed_result", str(exc.errors()[0]["msg"]))
        log.info("delivery.started", recording_id=str(result.recording_id), chat_id=result.chat_id)
        await self._deliverer.deliver(result, beat)
        log.info("delivery.sent", recording_id=str(result.recording_id), status=str(result.status))
        return Verdict.done("sent")

    def classify(self, error: Exception) -> Verdict:
        return delivery_verdict(error)

    async def dead_letter(self, msg: Msg, settlement: Settlement) -> None:
        await self.store_dead_letter(letter_of(msg), settlement.code, settlement.reason)

    async def store_dead_letter(self, letter: Letter, code: str, reason: str) -> None:
        """Keep the result for an operator (``voxpersona dlq``), then tell the user it could
        not be sent, if Telegram lets us. Also the backstop's sink."""
        await publish_dead_letter(
            self._js, self._dead_letter_subject, letter, code=code, reason=reason
        )
        log.error("delivery.dead_lettered", code=code, reason=reason[:500])
        try:
            result = ResultMessage.model_validate_json(letter.data)
        except ValidationError:
            return
        await self._deliverer.tell_undelivered(result)
