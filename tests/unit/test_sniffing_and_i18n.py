from __future__ import annotations

import pytest

from bot.i18n import CATALOGUE, human_size, language_for, reason_text
from tests.audio import ogg_opus
from voxpersona.sniffing import sniff_audio


def test_real_ogg_opus_is_recognised() -> None:
    kind = sniff_audio(ogg_opus(0.2)[:64])
    assert kind is not None
    assert kind.extension == "ogg"


@pytest.mark.parametrize(
    ("head", "extension"),
    [
        (b"ID3\x04\x00" + b"\x00" * 59, "mp3"),
        (b"\xff\xfb\x90\x64" + b"\x00" * 60, "mp3"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 48, "wav"),
        (b"fLaC" + b"\x00" * 60, "flac"),
        (b"\x00\x00\x00\x20ftypM4A " + b"\x00" * 52, "m4a"),
        (b"\x1a\x45\xdf\xa3" + b"\x00" * 60, "webm"),
    ],
)
def test_containers(head: bytes, extension: str) -> None:
    kind = sniff_audio(head)
    assert kind is not None
    assert kind.extension == extension


@pytest.mark.parametrize("head", [b"hello, this is text pretending to be .ogg", b"%PDF-1.7", b""])
def test_non_audio(head: bytes) -> None:
    assert sniff_audio(head) is None


def test_catalogue_complete_in_both_languages() -> None:
    for key, texts in CATALOGUE.items():
        assert set(texts) == {"ru", "en"}, key
        assert all(text.strip() for text in texts.values()), key


def test_language_choice() -> None:
    assert language_for(None) == "ru"
    assert language_for("ru") == "ru"
    assert language_for("uk") == "ru"
    assert language_for("en-GB") == "en"
    assert language_for("de") == "en"


def test_reasons_fall_back_to_a_generic_text() -> None:
    assert reason_text("en", "no_speech") == CATALOGUE["reason.no_speech"]["en"]
    assert reason_text("ru", "something_new") == CATALOGUE["reason.other"]["ru"]


def test_human_size() -> None:
    assert human_size(20 * 1024 * 1024, "ru") == "20.0 МБ"
    assert human_size(512, "en") == "512 B"
