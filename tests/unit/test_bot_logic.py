"""The bot's pure logic: search arguments, access verdicts, captions, limits, button data,
re-analysis events, chunk progress and library views."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from bot.access import access_verdict
from bot.callbacks import MAX_CALLBACK_BYTES, CallbackSigner
from bot.exports import ExportFormat
from bot.i18n import human_duration
from bot.intake import effective_limit, title_and_notes
from bot.keyboards import SCENARIOS, Keyboards
from bot.repos.library import Card, TranscriptRow
from bot.search_query import BadDateError, parse_search
from bot.views import card_text, export_filename, list_label, pages, transcript_document
from reactor.chunking import Chunk
from reactor.transcribing import ChunkTracker
from voxpersona.settings import (
    BotSettings,
    DatabaseSettings,
    MinioSettings,
    NatsSettings,
    TelegramSettings,
    VoxSettings,
)

KEY = "audio/42/2026/05/17/0b7c2f0e-3a57-4c2f-9f3e-1f2d3c4b5a69.ogg"


def card(**values: object) -> Card:
    fields: dict[str, object] = {
        "id": uuid.UUID(int=7),
        "object_key": KEY,
        "bucket": "voxpersona-audio",
        "name": "Интервью с Ёлкиной",
        "notes": None,
        "created_at": datetime(2026, 5, 17, 9, 30, tzinfo=UTC),
        "duration_seconds": 3725.0,
        "size_bytes": 5 * 1024 * 1024,
        "status": "done",
        "audio_state": "present",
        "analysis_status": "done",
        "scenario": "summary",
        "leased": False,
        "etag": "abc123",
        "chat_id": 42,
    }
    fields.update(values)
    return Card(**fields)  # type: ignore[arg-type]


def test_search_words_and_dates() -> None:
    query = parse_search("бюджет  четверг 2026-05-01..2026-05-31")
    assert query.words == ("бюджет", "четверг")
    assert query.date_from == datetime(2026, 5, 1, tzinfo=UTC)
    assert query.date_to == datetime(2026, 6, 1, tzinfo=UTC)  # the end day is included
    single = parse_search("2026-05-17")
    assert (single.date_from, single.date_to) == (
        datetime(2026, 5, 17, tzinfo=UTC),
        datetime(2026, 5, 18, tzinfo=UTC),
    )
    assert parse_search("..2026-05-02").date_from is None
    swapped = parse_search("2026-05-31..2026-05-01")
    assert swapped.date_from is not None
    assert swapped.date_to is not None
    assert swapped.date_from < swapped.date_to
    assert parse_search(None).empty
    assert parse_search("v1.2 3-4").words == ("v1.2", "3-4")


@pytest.mark.parametrize("bad", ["2026-13-01", "2026-02-30..2026-03-01", "2026-05"])
def test_search_bad_dates_are_named(bad: str) -> None:
    with pytest.raises(BadDateError) as caught:
        parse_search(f"бюджет {bad}")
    assert caught.value.value == bad


def test_access_verdicts() -> None:
    def verdict(mode: str, user: int = 5, stored: str = "none") -> str:
        return access_verdict(mode, user, admins={1}, allowlist={2}, stored=stored)  # type: ignore[arg-type]

    assert verdict("open") == "allowed"
    assert verdict("open", stored="revoked") == "denied"
    assert verdict("allowlist") == "denied"
    assert verdict("allowlist", user=2) == "allowed"
    assert verdict("allowlist", stored="allowed") == "allowed"
    assert verdict("invite") == "needs_invite"
    assert verdict("invite", user=2) == "allowed"
    assert verdict("invite", stored="allowed") == "allowed"
    assert verdict("invite", user=1, stored="revoked") == "allowed"  # admins always


def test_caption_becomes_title_and_notes() -> None:
    assert title_and_notes("Интервью\nс  Ёлкиной\nпро бюджет") == (
        "Интервью",
        "с Ёлкиной про бюджет",
    )
    assert title_and_notes("   ") == (None, None)
    # Kept whole (a caption is at most 1024 characters); only the metadata copy is cut.
    title, notes = title_and_notes("Я" * 300 + "\n" + "ж" * 723)
    assert (title, notes) == ("Я" * 300, "ж" * 723)


def bot_settings(*, local_api: bool) -> BotSettings:
    return BotSettings(
        telegram=TelegramSettings(bot_token="1:x", local_api=local_api),  # type: ignore[arg-type]
        minio=MinioSettings(endpoint="m:9000", access_key="a", secret_key="b"),  # type: ignore[arg-type]
        nats=NatsSettings(),
        database=DatabaseSettings(url="postgresql://x/y"),  # type: ignore[arg-type]
        vox=VoxSettings(),
    )


def test_download_limit_depends_on_the_bot_api_server() -> None:
    assert effective_limit(bot_settings(local_api=False)) == 20 * 1024 * 1024
    assert effective_limit(bot_settings(local_api=True)) == 2 * 1024**3


def test_every_button_fits_telegrams_64_bytes_and_verifies() -> None:
    signer = CallbackSigner(b"k" * 32)
    keyboards = Keyboards(signer)
    user = 9_999_999_999
    rid = uuid.uuid4()
    markups = [
        keyboards.card(user, rid, "ru", done=True),
        keyboards.rerun(user, rid, "en"),
        keyboards.status_scenarios(user, rid, "ru", "interview"),
        keyboards.confirm_delete(user, rid, "en"),
        keyboards.confirm_delete_all(user, "ru"),
        keyboards.language_menu(user, "en"),
        keyboards.default_scenarios(user, "ru"),
        keyboards.files_page(user, [(rid, "x")], page=3, pages=9, language="en"),
    ]
    data = [b.callback_data for m in markups for row in m.inline_keyboard for b in row]
    assert data
    for item in data:
        assert item is not None
        assert len(item.encode()) <= MAX_CALLBACK_BYTES
        assert signer.verify(user, item).action
    exports = [signer.verify(user, d).args[1] for d in data if d and d.startswith("ex:")]
    assert exports == [f.value for f in ExportFormat]
    statuses = [signer.verify(user, d).args[1] for d in data if d and d.startswith("sc:")]
    assert statuses == list(SCENARIOS)


def test_chunk_tracker_sums_chunks_and_names_the_current_one() -> None:
    seen: list[tuple[float, float, int | None, int | None]] = []

    def record(
        done: float, total: float, chunk: int | None = None, chunks: int | None = None
    ) -> None:
        seen.append((done, total, chunk, chunks))

    tracker = ChunkTracker([Chunk(0, 0.0, 600.0), Chunk(1, 600.0, 900.0)], record)
    assert seen[-1] == (0.0, 900.0, 1, 2)
    tracker.for_chunk(0)(30.0, 60.0)  # the engine reports within its own file
    assert seen[-1] == (300.0, 900.0, 1, 2)
    tracker.finished(0)
    assert seen[-1] == (600.0, 900.0, 2, 2)
    tracker.finished(1)
    assert seen[-1] == (900.0, 900.0, 2, 2)
    ChunkTracker([Chunk(0, 0.0, 1.0)], None).finished(0)  # no listener: nothing breaks


def test_library_views() -> None:
    text = card_text(card(notes="про бюджет"), "ru")
    assert "Интервью с Ёлкиной" in text
    assert "1:02:05" in text
    assert "5.0 МБ" in text
    assert "готово" in text
    assert "про бюджет" in text
    gone = card_text(card(audio_state="expired", name=None), "en")
    assert "audio removed" in gone
    assert "Recording of 2026-05-17 09:30" in gone
    assert list_label(card(name="x" * 80), "en").endswith("…")
    assert pages(0, 5) == 1
    assert pages(11, 5) == 3
    row = TranscriptRow(
        text="текст",
        segments=[{"start": 0.0, "end": 1.5, "text": "текст"}],
        language="ru",
        name="a/b: «c»",
        created_at=datetime(2026, 5, 17, tzinfo=UTC),
    )
    assert export_filename(row, "srt", "ru") == "a_b_ _c.srt"
    document = transcript_document(row, "ru")
    assert [(c.start, c.end) for c in document.cues] == [(0.0, 1.5)]


def test_human_durations() -> None:
    assert human_duration(0.2, "en") == "1 s"
    assert human_duration(61, "ru") == "2 мин"
    assert human_duration(3 * 3600 + 60, "en") == "3 h 1 min"


def test_rerun_is_offered_only_where_an_analysis_can_run() -> None:
    assert card().can_rerun  # analysed: another scenario may follow
    assert card(analysis_status="none", scenario="none").can_rerun  # declined, may change mind
    assert not card(analysis_status="none", scenario=None).can_rerun  # the server had none
    keyboards = Keyboards(CallbackSigner(b"k" * 32))
    markup = keyboards.card(1, uuid.uuid4(), "en", done=True, rerun=False)
    labels = [b.text for row in markup.inline_keyboard for b in row]
    assert not any("Another analysis" in label for label in labels)
    assert any("Download" in label for label in labels)
