"""The bot's /ask pieces that need no service: clip spans, the answer's buttons (signed and
inside Telegram's 64-byte callback limit), /search's hybrid order, /ask in groups."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime
from pathlib import Path

import av
import pytest

from bot.callbacks import MAX_CALLBACK_BYTES, CallbackSigner
from bot.groups import group_verdict
from bot.keyboards import Keyboards
from bot.repos.library import Card
from bot.routers.ask import MAX_ANSWER_CHARS, references
from bot.routers.search import by_ranking
from tests.audio import ogg_opus
from voxpersona.answers import Source
from voxpersona.clips import MAX_CLIP_SECONDS, ClipError, clip_bounds, cut_clip

SIGNER = CallbackSigner(b"0123456789abcdef0123456789abcdef")


def source(number: int, recording: uuid.UUID, start: float, end: float) -> Source:
    return Source(number, recording, f"Запись {recording.int}", start, end, "текст")


def test_clip_bounds_are_never_negative_empty_or_long() -> None:
    assert clip_bounds(-3.0, 10.0) == (0.0, 10.0)
    assert clip_bounds(5.0, 5.0) == (5.0, 6.0)
    assert clip_bounds(10.0, 10_000.0) == (10.0, 10.0 + MAX_CLIP_SECONDS)


def opus_seconds(audio: bytes) -> float:
    with av.open(io.BytesIO(audio)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "opus"
        return sum(f.samples for f in container.decode(stream)) / stream.codec_context.sample_rate


def test_cut_clip_keeps_only_the_span(tmp_path: Path) -> None:
    recording = tmp_path / "recording.ogg"
    recording.write_bytes(ogg_opus(6.0, frequency=440.0))
    clip = cut_clip(recording, 2.0, 4.0)
    assert clip.startswith(b"OggS")
    assert opus_seconds(clip) == pytest.approx(2.0, abs=0.1)
    with pytest.raises(ClipError):
        cut_clip(recording, 30.0, 40.0)  # past the end: no audio there
    junk = tmp_path / "junk.ogg"
    junk.write_bytes(b"not audio at all" * 100)
    with pytest.raises(ClipError):
        cut_clip(junk, 0.0, 2.0)


def test_answer_buttons_open_each_cited_card_once_and_clip_each_citation() -> None:
    first, second = uuid.UUID(int=1), uuid.UUID(int=2)
    sources = [
        source(1, first, 0.0, 31.5),
        source(2, second, 3599.2, 3655.9),
        source(3, first, 62.0, 95.0),
    ]
    markup = Keyboards(SIGNER).ask_answer(42, sources, "ru")
    assert markup is not None
    rows = [[b.text for b in row] for row in markup.inline_keyboard]
    assert rows == [
        ["🎙 Запись 1"],
        ["🎙 Запись 2"],
        ["🔊 [1] 00:00", "🔊 [2] 59:59", "🔊 [3] 01:02"],
    ]
    data = [b.callback_data for row in markup.inline_keyboard for b in row]
    assert all(d is not None and len(d.encode()) <= MAX_CALLBACK_BYTES for d in data)
    cards = [SIGNER.verify(42, d) for d in data[:2] if d]
    assert [(c.action, c.args) for c in cards] == [("ac", (first.hex,)), ("ac", (second.hex,))]
    clip = SIGNER.verify(42, data[3] or "")
    assert (clip.action, clip.args) == ("ck", (second.hex, "3599", "3656"))
    # A long recording's late citation still fits in a callback.
    late = Keyboards(SIGNER).ask_answer(42, [source(1, first, 35_999.0, 36_059.5)], "en")
    assert late is not None
    assert Keyboards(SIGNER).ask_answer(42, [], "en") is None


def card(number: int) -> Card:
    return Card(
        id=uuid.UUID(int=number),
        object_key=f"audio/42/{number}.ogg",
        bucket="voxpersona-audio",
        name=None,
        notes=None,
        created_at=datetime(2026, 5, number, tzinfo=UTC),
        duration_seconds=1.0,
        size_bytes=1,
        status="done",
        audio_state="present",
        analysis_status="none",
        scenario=None,
        leased=False,
        etag="e",
        chat_id=42,
    )


def test_search_orders_full_text_hits_by_the_hybrid_ranking() -> None:
    hits = [card(1), card(2), card(3), card(4)]
    ranked = [uuid.UUID(int=3), uuid.UUID(int=9), uuid.UUID(int=1)]
    assert [c.id.int for c in by_ranking(hits, ranked)] == [3, 1, 2, 4]
    assert [c.id.int for c in by_ranking(hits, [])] == [1, 2, 3, 4]


def test_ask_belongs_in_the_private_chat() -> None:
    assert group_verdict("/ask what did we decide?", "voxpersona_bot") == "point_to_private"
    assert group_verdict("/ask@other_bot hi", "voxpersona_bot") == "ignore"


def test_sources_under_an_answer_fit_in_one_message() -> None:
    long_title = "Очень длинная подпись к записи " * 40  # a caption's first line, ~1,200 chars
    sources = [
        Source(n, uuid.UUID(int=n), long_title, 61.0 * n, 61.0 * n + 30, "текст")
        for n in range(1, 13)
    ]
    lines = references(sources).splitlines()
    assert len(lines) == 8
    assert lines[0].startswith("[1] Очень длинная подпись")
    assert lines[0].endswith("…, 01:01–01:31")
    assert all(len(line) < 100 for line in lines)
    assert MAX_ANSWER_CHARS + 20 + len("\n".join(lines)) < 4096
