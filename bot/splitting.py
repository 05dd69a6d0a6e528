"""Splitting long text into Telegram messages (at most 4096 characters each).

Prefer paragraph breaks, then line breaks, then sentence ends, then spaces; cut hard only when a
single word is longer than the limit.
"""

from __future__ import annotations

import re

TELEGRAM_MESSAGE_LIMIT = 4096

_SENTENCE_END = re.compile(r"[.!?…](?:[\"'»)\]]*)\s")


def _best_cut(window: str) -> int:
    """Index after which to cut ``window`` (the text that still fits), or 0 if no good place."""
    floor = len(window) // 3  # don't produce tiny parts just to honour a boundary
    for separator in ("\n\n", "\n"):
        index = window.rfind(separator)
        if index > floor:
            return index + len(separator)
    sentence_ends = [m.end() for m in _SENTENCE_END.finditer(window)]
    if sentence_ends and sentence_ends[-1] > floor:
        return sentence_ends[-1]
    index = window.rfind(" ")
    if index > floor:
        return index + 1
    return 0


def split_message(text: str, limit: int = TELEGRAM_MESSAGE_LIMIT) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` characters on natural boundaries."""
    if limit < 1:
        raise ValueError("limit must be positive")
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _best_cut(rest[: limit + 1]) or limit
        if cut > limit:  # the separator itself sat right at the limit
            cut = limit
        part = rest[:cut].rstrip()
        if part:
            parts.append(part)
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts
