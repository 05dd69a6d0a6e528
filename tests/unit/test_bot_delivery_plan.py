"""The bot's delivery, pure parts: which parts a result sends, how every failure is
classified, and the per-chat pacing."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import SendMessage

from bot.app import keep_running
from bot.delivery import (
    TranscriptMissingError,
    analysis_parts,
    delivery_verdict,
    refuses_entities,
    result_parts,
)
from bot.pacing import (
    GROUP_INTERVAL,
    PRIVATE_INTERVAL,
    ChatPacer,
    KeyedLocks,
    send_interval,
    wait_before_send,
)
from bot.transcripts import StoredAnalysis, StoredTranscript
from voxpersona.consumer.plan import Kind
from voxpersona.contracts.results import RecordingStatus, ResultMessage

METHOD = SendMessage(chat_id=1, text="x")
RESULT = ResultMessage(
    recording_id=uuid.uuid4(), user_id=1, chat_id=1, status=RecordingStatus.DONE, analysis="done"
)


def _stored(text: str) -> StoredTranscript:
    return StoredTranscript(
        text=text, original_name="meeting.ogg", scenario="summary", analysis_status="done"
    )


def test_every_part_has_its_own_journal_key_in_order() -> None:
    analysis = StoredAnalysis(text="Итоги встречи", scenario="summary", original_name=None)
    parts = result_parts(RESULT, _stored("привет"), analysis, "ru", 3)
    assert [p.key for p in parts] == ["transcript:1", "analysis:1"]
    assert parts[0].entities is None  # a transcript is the user's words: no formatting
    # The analysis is the LLM's Markdown, sent as entities (its header bold), never parse mode.
    assert parts[1].entities is not None
    assert [e.type for e in parts[1].entities] == ["bold"]
    assert parts[1].text.endswith("Итоги встречи")


def test_a_long_transcript_is_a_preview_and_a_file() -> None:
    parts = result_parts(
        RESULT.model_copy(update={"analysis": "none"}), _stored("слово " * 3000), None, "en", 2
    )
    assert [p.key for p in parts] == ["transcript:1", "transcript:file", "analysis_off"]
    assert parts[1].document is not None
    assert parts[1].filename is not None


def test_a_failed_recording_is_one_explanation() -> None:
    failed = RESULT.model_copy(
        update={"status": RecordingStatus.FAILED, "reason_code": "no_speech"}
    )
    parts = result_parts(failed, None, None, "en", 3)
    assert [p.key for p in parts] == ["failed"]
    assert "no speech" in parts[0].text


def test_an_analysis_message_sends_only_the_analysis() -> None:
    later = RESULT.model_copy(update={"part": "analysis", "analysis": "failed"})
    assert [p.key for p in result_parts(later, None, None, "ru", 3)] == ["analysis_failed"]


@pytest.mark.parametrize(
    ("error", "kind", "code"),
    [
        (
            TelegramRetryAfter(METHOD, "Too Many Requests", retry_after=7),
            Kind.RETRY,
            "telegram_throttled",
        ),
        (TelegramServerError(METHOD, "Bad Gateway"), Kind.RETRY, "telegram_unavailable"),
        (TelegramNetworkError(METHOD, "timeout"), Kind.RETRY, "telegram_unavailable"),
        (
            TelegramForbiddenError(METHOD, "bot was blocked by the user"),
            Kind.REJECT,
            "chat_unreachable",
        ),
        (TelegramNotFound(METHOD, "Not Found"), Kind.REJECT, "chat_unreachable"),
        (
            TelegramBadRequest(METHOD, "Bad Request: chat not found"),
            Kind.REJECT,
            "chat_unreachable",
        ),
        (
            TelegramBadRequest(METHOD, "Bad Request: can't parse entities"),
            Kind.GIVE_UP,
            "telegram_bad_request",
        ),
        (
            TelegramMigrateToChat(METHOD, "upgraded", migrate_to_chat_id=-100),
            Kind.RETRY,
            "chat_migrated",
        ),
        (TelegramUnauthorizedError(METHOD, "Unauthorized"), Kind.RETRY, "telegram_misconfigured"),
        (TranscriptMissingError("x"), Kind.RETRY, "transcript_missing"),
        (asyncpg.CannotConnectNowError("starting"), Kind.RETRY, "database_unavailable"),
        (ConnectionRefusedError(), Kind.RETRY, "database_unavailable"),
        (TimeoutError(), Kind.RETRY, "database_unavailable"),
        (ValueError("bug"), Kind.RETRY, "internal_error"),
    ],
)
def test_every_failure_is_classified(error: Exception, kind: Kind, code: str) -> None:
    verdict = delivery_verdict(error)
    assert (verdict.kind, verdict.code) == (kind, code)


def test_telegrams_retry_after_is_the_delay() -> None:
    verdict = delivery_verdict(TelegramRetryAfter(METHOD, "Too Many Requests", retry_after=7))
    assert verdict.delay == 7.0


def test_sends_are_spaced_per_chat_within_telegrams_limits() -> None:
    assert send_interval(42) == PRIVATE_INTERVAL == 1.0
    assert send_interval(-100123) == GROUP_INTERVAL == 3.0  # 20 per minute
    assert wait_before_send(None, 100.0, 1.0) == 0.0
    assert wait_before_send(99.5, 100.0, 1.0) == pytest.approx(0.5)
    assert wait_before_send(90.0, 100.0, 3.0) == 0.0


async def test_the_pacer_waits_out_the_interval_per_chat() -> None:
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = ChatPacer(clock=lambda: now[0], sleep=sleep)
    for chat in (1, 1, -5, -5, 2):
        async with pacer.lock(chat):
            await pacer.wait_turn(chat)
            pacer.sent(chat)
        now[0] += 0.25
    assert slept == [pytest.approx(0.75), pytest.approx(2.75)]  # 2nd to chat 1, 2nd to group


async def test_results_to_one_chat_take_turns_in_order_and_locks_are_forgotten() -> None:
    turns = KeyedLocks()
    order: list[int] = []

    async def deliver(n: int) -> None:
        async with turns.hold(7):
            await asyncio.sleep(0.01 * (3 - n))  # the first holds longest
            order.append(n)

    await asyncio.gather(*(deliver(n) for n in range(3)))
    assert order == [0, 1, 2]
    assert not turns._locks


async def test_a_failing_bot_task_is_started_again_until_stop() -> None:
    stop = asyncio.Event()
    runs: list[int] = []

    async def flaky(stop_event: asyncio.Event) -> None:
        runs.append(len(runs))
        if len(runs) < 3:
            raise RuntimeError("one bad message")
        stop_event.set()

    await asyncio.wait_for(keep_running("delivery", flaky, stop, restart_delay=0.01), 5)
    assert runs == [0, 1, 2]


def test_an_analysis_is_rendered_as_entities_and_too_long_goes_as_a_file() -> None:
    markdown = "## Итоги\n\n**Бюджет** превышен на *10 %*.\n\n" + "- пункт обсуждения\n" * 900
    parts = analysis_parts(RESULT, StoredAnalysis(markdown, "summary", None), "ru", 3)
    assert [p.key for p in parts] == ["analysis:1", "analysis:file"]
    first = parts[0]
    assert "**" not in first.text  # Markdown markers became entities
    assert first.entities is not None
    assert {"bold", "italic"} <= {e.type for e in first.entities}
    assert parts[1].document == markdown.encode()  # the file keeps the Markdown as written


@pytest.mark.parametrize(
    ("message", "refused"),
    [
        ("Bad Request: can't parse entities: Unsupported start tag", True),
        ("Bad Request: entity beginning at byte offset 4 is wrong", True),
        ("Bad Request: message is too long", False),
        ("Bad Request: chat not found", False),
    ],
)
def test_only_a_refusal_of_entities_falls_back_to_plain_text(message: str, refused: bool) -> None:
    assert refuses_entities(message) is refused
