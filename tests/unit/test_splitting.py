from __future__ import annotations

import pytest

from bot.splitting import TELEGRAM_MESSAGE_LIMIT, split_message


def test_short_text_is_one_part() -> None:
    assert split_message("  Привет, мир.  ") == ["Привет, мир."]


def test_every_part_fits_and_nothing_is_lost() -> None:
    sentence = "Это предложение про встречу с клиентом, и оно довольно длинное. "
    text = sentence * 300
    parts = split_message(text)
    assert len(parts) > 1
    assert all(len(p) <= TELEGRAM_MESSAGE_LIMIT for p in parts)
    assert " ".join(parts).split() == text.split()


def test_prefers_paragraphs_then_lines_then_sentences() -> None:
    para = "a" * 50
    text = f"{para}\n\n{para}\nline two. sentence three"
    assert split_message(text, limit=60) == [para, para, "line two. sentence three"]
    assert split_message("First one. Second one is here.", limit=20) == [
        "First one.",
        "Second one is here.",
    ]


def test_cuts_on_space_when_no_sentence_end() -> None:
    assert split_message("alpha beta gamma delta", limit=11) == ["alpha beta", "gamma delta"]


def test_hard_cut_for_a_giant_word() -> None:
    assert split_message("x" * 25, limit=10) == ["x" * 10, "x" * 10, "x" * 5]


def test_invalid_limit() -> None:
    with pytest.raises(ValueError, match="positive"):
        split_message("x", limit=0)
