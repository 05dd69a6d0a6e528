"""Stage deadlines as a pure wrapper: expiry becomes a transient error, nothing else changes."""

from __future__ import annotations

import asyncio

import pytest

from reactor.deadlines import StageDeadlineError, StageDeadlines, deadline
from reactor.errors import TransientError
from reactor.retry_plan import event_policy, verdict_for
from voxpersona.consumer.plan import Action, plan_settlement


async def test_a_stage_past_its_deadline_is_cancelled_and_transient() -> None:
    cancelled = asyncio.Event()

    async def hangs() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with pytest.raises(StageDeadlineError) as caught:
        async with deadline("download", 0.05):
            await hangs()
    assert cancelled.is_set()
    assert isinstance(caught.value, TransientError)
    assert caught.value.code == "download_deadline"
    assert plan_settlement(verdict_for(caught.value), 1, event_policy(5)).action is Action.NAK


async def test_a_timeout_the_work_raises_itself_passes_through() -> None:
    with pytest.raises(TimeoutError) as caught:
        async with deadline("publish", 30):
            raise TimeoutError("nats: timeout")
    assert not isinstance(caught.value, StageDeadlineError)


async def test_work_within_the_deadline_returns_normally() -> None:
    async with deadline("analysis", 5):
        await asyncio.sleep(0)


def test_transcription_deadline_grows_with_the_audio() -> None:
    deadlines = StageDeadlines(transcription=600, transcription_per_audio_second=2)
    assert deadlines.transcription_for(0) == 600
    assert deadlines.transcription_for(3600) == 600 + 7200
