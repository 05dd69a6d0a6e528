"""The metadata budget: whatever caption and file name Telegram allows, MinIO accepts the upload.

Telegram's limits: a caption is at most 1024 characters (Bot API ``caption``: "0-1024
characters after entities parsing", counted in UTF-16 units, so 1024 emoji exceed it and are
tested as a bound beyond Telegram's); a file name has no documented bound: 255 bytes is what file
systems allow, and longer names are tested too. MinIO's limit is the
sum of header names and values over 2048 bytes (cmd/generic-handlers.go).
"""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from bot.intake import title_and_notes
from voxpersona.contracts.metadata import RecordingMetadata
from voxpersona.contracts.metadata_budget import (
    ELLIPSIS,
    METADATA_BUDGET,
    MINIO_USER_METADATA_LIMIT,
    fit_headers,
    metadata_size,
    truncate_encoded,
)

CAPTION_MAX = 1024
EMOJI = "\U0001f600"  # 4 bytes of UTF-8, 12 percent-encoded
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one glyph, 5 code points, 54 bytes

CAPTIONS = {
    "cyrillic": "Интервью с клиентом " * 60,
    "emoji": EMOJI * CAPTION_MAX,
    "zwj-emoji": FAMILY * (CAPTION_MAX // 5),
    "two-lines-cyrillic": "Заголовок " * 50 + "\n" + "ж" * 500,
    "ascii": "a" * CAPTION_MAX,
}
FILE_NAMES = {
    "cyrillic-255-bytes": "я" * 127 + ".ogg",  # 258 bytes: one char past the limit
    "emoji-255-bytes": EMOJI * 63 + ".mp3",
    "emoji-very-long": EMOJI * 1000 + ".mp3",
    "short": "memo.ogg",
}


def worst_metadata(caption: str, file_name: str | None) -> RecordingMetadata:
    """Every field at its largest realistic value."""
    title, notes = title_and_notes(caption[:CAPTION_MAX])
    return RecordingMetadata(
        user_id=9_999_999_999,
        chat_id=-1_009_999_999_999,
        message_id=2_147_483_647,
        original_name=file_name,
        duration_seconds=86_400,
        file_unique_id="AgADxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        source="telegram",
        interface_language="ru",
        language="auto",
        scenario="interview",
        status_message_id=2_147_483_647,
        title=title,
        notes=notes,
    )


@pytest.mark.parametrize("file_name", [*FILE_NAMES.values(), None], ids=[*FILE_NAMES, "none"])
@pytest.mark.parametrize("caption", CAPTIONS.values(), ids=CAPTIONS.keys())
def test_worst_captions_and_names_fit_minio(caption: str, file_name: str | None) -> None:
    headers = worst_metadata(caption, file_name).to_headers()
    assert metadata_size(headers) <= METADATA_BUDGET < MINIO_USER_METADATA_LIMIT
    assert all(value.isascii() for value in headers.values())
    # Whatever was cut still decodes, and the reactor can read it back.
    back = RecordingMetadata.from_user_metadata(headers)
    assert back.user_id == 9_999_999_999
    assert back.status_message_id == 2_147_483_647
    assert back.title
    assert back.notes or "\n" not in caption


def test_small_metadata_travels_whole() -> None:
    meta = RecordingMetadata(
        user_id=5, chat_id=5, original_name="интервью №1.ogg", title="Бюджет", notes="с Ёлкиной"
    )
    assert RecordingMetadata.from_user_metadata(meta.to_headers()) == meta


def test_file_name_up_to_255_bytes_is_kept_whole_beside_a_full_caption() -> None:
    name = "я" * 125 + ".ogg"  # 254 bytes
    back = RecordingMetadata.from_user_metadata(
        worst_metadata(CAPTIONS["emoji"], name).to_headers()
    )
    assert back.original_name == name
    assert back.title is not None
    assert back.title.endswith(ELLIPSIS)


def test_cut_texts_are_prefixes_ending_in_an_ellipsis() -> None:
    meta = worst_metadata(CAPTIONS["two-lines-cyrillic"], FILE_NAMES["emoji-very-long"])
    back = RecordingMetadata.from_user_metadata(meta.to_headers())
    for full, cut in (
        (meta.title, back.title),
        (meta.notes, back.notes),
        (meta.original_name, back.original_name),
    ):
        assert full is not None
        assert cut is not None
        assert cut.endswith(ELLIPSIS)
        assert full.startswith(cut.removesuffix(ELLIPSIS))


def test_title_and_notes_share_fairly() -> None:
    """A short title is kept whole; long notes get the rest."""
    meta = worst_metadata("Коротко\n" + "ж" * 1000, None)
    back = RecordingMetadata.from_user_metadata(meta.to_headers())
    assert back.title == "Коротко"
    assert back.notes is not None
    assert len(back.notes) > 150  # more than the old fixed cut of 150 characters


def test_truncation_never_splits_an_encoded_character() -> None:
    for limit in range(0, 40):
        cut = truncate_encoded(EMOJI * 10, limit)
        assert cut == "" or cut.endswith(ELLIPSIS)
        assert unquote(cut) == cut
        assert len(cut.encode()) <= limit  # percent-encoding triples every byte


def test_fit_headers_budget_is_respected_exactly() -> None:
    headers = fit_headers({"user-id": "1"}, None, [("title", "ж" * 1000)], budget=300)
    assert 300 - 9 < metadata_size(headers) <= 300  # within one character's cost
