"""Whose fault is a failure: the recording's (permanent), the moment's (transient), or ours
and only an operator can fix it (an alarm). Pure classification, no I/O."""

from __future__ import annotations

import random

import pytest

from bot.progress import progress_text, rank
from reactor.errors import OperatorAlarmError, PermanentError, TransientError, is_operator_alarm
from reactor.retry_plan import ALARM_DELAY, event_policy, verdict_for
from reactor.transcription.local_engine import engine_failure
from voxpersona.consumer.plan import Action, plan_settlement
from voxpersona.contracts.progress import ProgressMessage, Stage


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (MemoryError(), "engine_out_of_memory"),
        (RuntimeError("CUDA failed with error out of memory"), "engine_out_of_memory"),
        (
            RuntimeError("cuBLAS failed with status CUBLAS_STATUS_ALLOC_FAILED"),
            "engine_out_of_memory",
        ),
        (RuntimeError("std::bad_alloc"), "engine_out_of_memory"),
        (
            RuntimeError("cuBLAS failed with status CUBLAS_STATUS_EXECUTION_FAILED"),
            "engine_device_error",
        ),
        (RuntimeError("CUDA failed with error an illegal memory access"), "engine_device_error"),
        (
            RuntimeError("cuDNN failed with status CUDNN_STATUS_INTERNAL_ERROR"),
            "engine_device_error",
        ),
    ],
)
def test_memory_and_device_failures_are_transient(error: BaseException, code: str) -> None:
    failure = engine_failure(error)
    assert isinstance(failure, TransientError)
    assert failure.code == code


def test_other_engine_failures_concern_the_file() -> None:
    failure = engine_failure(ValueError("invalid audio: no frames"))
    assert isinstance(failure, PermanentError)
    assert failure.code == "engine_error"


def test_a_transient_engine_failure_is_retried_then_dead_lettered() -> None:
    verdict = verdict_for(engine_failure(MemoryError()))
    policy = event_policy(5)
    assert plan_settlement(verdict, 1, policy).action is Action.NAK
    assert plan_settlement(verdict, 5, policy).action is Action.DEAD_LETTER


def test_an_alarm_is_retried_slowly_never_terminated() -> None:
    alarm = OperatorAlarmError("transcriber_auth", "HTTP 401")
    rng = random.Random(7)
    policy = event_policy(8)
    first = plan_settlement(verdict_for(alarm), 1, policy, rng)
    assert first.action is Action.NAK
    assert first.delay == ALARM_DELAY
    # At the last delivery it is kept as a dead letter for the operator, not failed.
    last = plan_settlement(verdict_for(alarm), 8, policy, rng)
    assert last.action is Action.DEAD_LETTER
    assert is_operator_alarm(last.code)
    assert alarm.summary == "transcriber_auth"


def test_an_alarm_needs_an_alarm_code() -> None:
    with pytest.raises(ValueError, match="_auth"):
        OperatorAlarmError("transcriber_rejected", "HTTP 400")
    assert not is_operator_alarm("transcriber_rejected")


@pytest.mark.parametrize(("language", "word"), [("en", "delayed"), ("ru", "задерживается")])
def test_the_user_hears_delayed_not_failed(language: str, word: str) -> None:
    message = ProgressMessage(chat_id=1, status_message_id=2, stage=Stage.DELAYED)
    text = progress_text(message, language)  # type: ignore[arg-type]
    assert word in text
    # A retry's transcribing progress must not replace it; the final result must.
    assert rank(Stage.ANALYSING) < rank(Stage.DELAYED) < rank(Stage.DONE)
