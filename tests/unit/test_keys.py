from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from voxpersona.contracts.keys import (
    InvalidKeyError,
    new_audio_key,
    normalise_extension,
    parse_audio_key,
    result_key,
    user_audio_prefix,
)

OBJECT_ID = uuid.UUID("5b0f6a1e-9c1d-4b52-8a63-2f7e1d9b0c44")


def test_new_key_follows_the_scheme() -> None:
    key = new_audio_key(
        123456789, ".OGA", now=datetime(2026, 11, 24, 23, 59, tzinfo=UTC), object_id=OBJECT_ID
    )
    assert str(key) == f"audio/123456789/2026/11/24/{OBJECT_ID}.ogg"


def test_parse_round_trips() -> None:
    text = f"audio/42/2026/02/28/{OBJECT_ID}.m4a"
    key = parse_audio_key(text)
    assert (key.user_id, key.day, key.object_id, key.extension) == (
        42,
        date(2026, 2, 28),
        OBJECT_ID,
        "m4a",
    )
    assert str(key) == text


@pytest.mark.parametrize(
    "bad",
    [
        f"audio/42/2026/02/30/{OBJECT_ID}.ogg",  # no such date
        f"audio/../2026/02/28/{OBJECT_ID}.ogg",
        f"/audio/42/2026/02/28/{OBJECT_ID}.ogg",
        f"audio/42/2026/02/28/../{OBJECT_ID}.ogg",
        f"audio/0/2026/02/28/{OBJECT_ID}.ogg",
        f"audio/42/2026/02/28/{OBJECT_ID}.ogg\n",
        "audio/42/2026/02/28/not-a-uuid.ogg",
        f"results/42/{OBJECT_ID}.json",
    ],
)
def test_parse_rejects_anything_outside_the_scheme(bad: str) -> None:
    with pytest.raises(InvalidKeyError):
        parse_audio_key(bad)


def test_extensions_are_normalised() -> None:
    assert normalise_extension("OGA") == "ogg"
    assert normalise_extension(".opus") == "ogg"
    assert normalise_extension("mp3") == "mp3"
    assert normalise_extension("../../etc/passwd") == "bin"


def test_prefixes_and_result_keys() -> None:
    assert user_audio_prefix(7) == "audio/7/"
    assert result_key(7, OBJECT_ID) == f"results/7/{OBJECT_ID}.json"
    with pytest.raises(InvalidKeyError):
        user_audio_prefix(-1)
