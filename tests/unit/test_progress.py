from __future__ import annotations

from bot.progress import clock_text, progress_text
from reactor.progress import should_send
from voxpersona.contracts.progress import ProgressMessage, Stage


def message(stage: Stage = Stage.TRANSCRIBING, **values: object) -> ProgressMessage:
    return ProgressMessage(chat_id=1, status_message_id=2, stage=stage, **values)  # type: ignore[arg-type]


def test_clock_text() -> None:
    assert clock_text(0) == "0:00"
    assert clock_text(75.4) == "1:15"
    assert clock_text(3725) == "1:02:05"


def test_progress_text_in_both_languages() -> None:
    step = message(done_seconds=45, total_seconds=180, chunk=2, chunks=4)
    assert progress_text(step, "ru") == "🎧 Расшифровываю… 25% (0:45 из 3:00) — часть 2 из 4"
    assert progress_text(step, "en") == "🎧 Transcribing… 25% (0:45 of 3:00) — part 2 of 4"
    assert progress_text(message(Stage.ANALYSING), "en") == "🧠 Analysing the transcript…"
    assert progress_text(message(), "ru") == "🎧 Расшифровываю…"


def test_throttle_sends_first_and_final_and_visible_steps_only() -> None:
    assert should_send(last_at=None, last_fraction=None, now=0, fraction=0.01, final=False)
    assert not should_send(last_at=0, last_fraction=0.01, now=1, fraction=0.5, final=False)
    assert not should_send(last_at=0, last_fraction=0.50, now=5, fraction=0.52, final=False)
    assert should_send(last_at=0, last_fraction=0.50, now=5, fraction=0.60, final=False)
    assert should_send(last_at=0, last_fraction=0.99, now=0.1, fraction=1.0, final=True)
