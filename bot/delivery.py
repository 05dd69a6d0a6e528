"""Delivering results to users: consume result messages, send transcript or explanation."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import nats.errors
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile, ReplyParameters
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from pydantic import ValidationError

from bot.i18n import Language, normalise_language, reason_text, scenario_title, t
from bot.progress import ProgressEditor
from bot.repos.uploads import Uploads
from bot.speakers import with_turns
from bot.splitting import split_message
from bot.transcripts import StoredAnalysis, StoredTranscript, TranscriptReader
from voxpersona.contracts.progress import ProgressMessage, Stage
from voxpersona.contracts.results import RecordingStatus, ResultMessage
from voxpersona.contracts.subjects import StreamNames
from voxpersona.logging import get_logger

log = get_logger(__name__)

RETRY_DELAY = 5.0


class TranscriptMissingError(Exception):
    """A ``done`` result whose transcript is not readable yet (or not this user's)."""


def plan_parts(text: str, header: str, max_messages: int) -> tuple[list[str], bool]:
    """The messages to send and whether to attach the full text as a ``.txt`` document.

    Short transcripts arrive as messages; long ones as a preview message plus the document,
    so a three-hour meeting does not flood the chat.
    """
    parts = split_message(f"{header}\n\n{text}")
    if len(parts) <= max_messages:
        return parts, False
    return parts[:1], True


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
    ) -> None:
        self._bot = bot
        self._transcripts = transcripts
        self._max_messages = max_messages
        self._uploads = uploads
        self._editor = editor

    async def deliver(self, result: ResultMessage) -> None:
        """Read everything first, then send: a retry after a failed read sends nothing twice."""
        await self._deliver(result)
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
        await self._deliver(result)

    async def stored_analysis(
        self, recording_id: uuid.UUID, *, user_id: int
    ) -> StoredAnalysis | None:
        """A finished analysis of the user's recording (the library's analysis button)."""
        return await self._transcripts.analysis(recording_id, user_id=user_id)

    async def _deliver(self, result: ResultMessage) -> None:
        language = normalise_language(result.interface_language)
        if result.part == "analysis":
            analysis = await self._analysis_if_done(result)
            await self._send_analysis(result, analysis, language)
        elif result.status is RecordingStatus.DONE:
            stored = await self._transcripts.get(result.recording_id, user_id=result.user_id)
            if stored is None:
                raise TranscriptMissingError(str(result.recording_id))
            analysis = await self._analysis_if_done(result)
            await self._send_transcript(result, stored, language)
            await self._send_analysis(result, analysis, language)
            if result.analysis == "none" and stored.scenario != "none":
                # Not declined by the user: the server has no analysis configured.
                await self._send(result, t(language, "analysis_off"))
        else:
            text = t(language, "failed", reason=reason_text(language, result.reason_code))
            await self._send(result, text)

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

    async def _analysis_if_done(self, result: ResultMessage) -> StoredAnalysis | None:
        if result.analysis != "done":
            return None
        analysis = await self._transcripts.analysis(result.recording_id, user_id=result.user_id)
        if analysis is None:
            raise TranscriptMissingError(f"analysis of {result.recording_id}")
        return analysis

    async def _send_analysis(
        self, result: ResultMessage, analysis: StoredAnalysis | None, language: Language
    ) -> None:
        """The analysis itself, or a note on why it is not here (yet)."""
        if analysis is not None:
            header = t(
                language, "analysis_header", title=scenario_title(language, analysis.scenario)
            )
            parts, as_document = plan_parts(analysis.text, header, self._max_messages)
            for part in parts:
                await self._send(result, part)
            if as_document:
                await self._send_document(
                    result, analysis.text, f"analysis-{result.recording_id}.md", language
                )
        elif result.analysis == "pending":
            await self._send(result, t(language, "analysis_pending"))
        elif result.analysis == "failed":
            reason = reason_text(language, result.analysis_reason_code)
            await self._send(result, t(language, "analysis_failed", reason=reason))

    async def _send_transcript(
        self, result: ResultMessage, stored: StoredTranscript, language: Language
    ) -> None:
        stored = with_turns(stored, language)  # speakers (issue 14): "Спикер 1: …" turns
        name = f" «{stored.original_name}»" if stored.original_name else ""
        header = t(language, "transcript_header", name=name)
        parts, as_document = plan_parts(stored.text, header, self._max_messages)
        for part in parts:
            await self._send(result, part)
        if as_document:
            await self._send_document(
                result, stored.text, f"transcript-{result.recording_id}.txt", language
            )

    async def _send_document(
        self, result: ResultMessage, text: str, filename: str, language: Language
    ) -> None:
        await self._bot.send_document(
            result.chat_id,
            BufferedInputFile(text.encode("utf-8"), filename=filename),
            caption=t(
                language,
                "transcript_file_caption" if filename.endswith(".txt") else "analysis_file_caption",
            ),
            reply_parameters=self._reply_to(result),
        )

    async def _send(self, result: ResultMessage, text: str) -> None:
        await self._bot.send_message(result.chat_id, text, reply_parameters=self._reply_to(result))

    @staticmethod
    def _reply_to(result: ResultMessage) -> ReplyParameters | None:
        if result.reply_to_message_id is None:
            return None
        return ReplyParameters(
            message_id=result.reply_to_message_id, allow_sending_without_reply=True
        )


class DeliveryConsumer:
    """Pulls result messages from JetStream; acks only once the user has them."""

    def __init__(self, js: JetStreamContext, names: StreamNames, deliverer: Deliverer) -> None:
        self._js = js
        self._names = names
        self._deliverer = deliverer

    async def run(self, stop: asyncio.Event) -> None:
        sub = await self._js.pull_subscribe_bind(
            durable=self._names.bot_durable, stream=self._names.results_stream
        )
        log.info("delivery.started")
        try:
            while not stop.is_set():
                try:
                    messages = await sub.fetch(batch=10, timeout=1.0)
                except TimeoutError:
                    continue
                except nats.errors.Error as exc:
                    log.warning("delivery.fetch_failed", reason=type(exc).__name__)
                    await asyncio.sleep(1.0)
                    continue
                for msg in messages:
                    await self._handle(msg)
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def _handle(self, msg: Msg) -> None:
        try:
            result = ResultMessage.model_validate_json(msg.data)
        except ValidationError as exc:
            log.error("delivery.malformed", reason=str(exc.errors()[0]["msg"]))
            await msg.term()
            return
        ctx = {"recording_id": str(result.recording_id), "chat_id": result.chat_id}
        try:
            await self._deliverer.deliver(result)
        except TelegramRetryAfter as exc:
            log.warning("delivery.throttled", retry_after=exc.retry_after, **ctx)
            await msg.nak(delay=float(exc.retry_after))
            return
        except (TelegramNetworkError, TelegramServerError, TranscriptMissingError, OSError) as exc:
            log.warning("delivery.retry", reason=f"{type(exc).__name__}: {exc}", **ctx)
            await msg.nak(delay=RETRY_DELAY)
            return
        except (TelegramForbiddenError, TelegramBadRequest) as exc:
            # The user blocked the bot or the chat is gone: retrying cannot help.
            log.error("delivery.undeliverable", reason=str(exc), **ctx)
            await msg.term()
            return
        await msg.ack_sync()
        log.info("delivery.sent", status=str(result.status), **ctx)
