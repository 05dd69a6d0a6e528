"""Splitting formatted text into Telegram messages without cutting an entity (pure).

Telegram counts a message's length and its entities' offsets in UTF-16 code units; a message
holds at most 4096 of them. Cuts go, in order of preference, at paragraph breaks, line breaks,
sentence ends and spaces that lie outside every entity, never so early that a part is tiny.
Only an entity longer than a whole message (a huge code block) is cut, and then each part
keeps its piece of it.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

_SENTENCE_END = re.compile(r"[.!?…][\"'»)\]]*\s")


class Span:
    """An entity in code points: ``kind`` (a MessageEntity type), where, and e.g. ``url``."""

    __slots__ = ("extra", "kind", "length", "offset")

    def __init__(self, kind: str, offset: int, length: int, **extra: str) -> None:
        self.kind = kind
        self.offset = offset
        self.length = length
        self.extra = extra

    @property
    def end(self) -> int:
        return self.offset + self.length

    def __repr__(self) -> str:
        return f"Span({self.kind!r}, {self.offset}, {self.length}, **{self.extra!r})"


def utf16_offsets(text: str) -> list[int]:
    """``units[i]``: UTF-16 code units before code point ``i`` (``len(text) + 1`` entries)."""
    units = [0]
    for char in text:
        units.append(units[-1] + (2 if ord(char) > 0xFFFF else 1))
    return units


def split_spans(text: str, spans: list[Span], limit: int) -> list[tuple[str, list[Span]]]:
    """Parts of at most ``limit`` UTF-16 units, each with its spans shifted into it."""
    if limit < 1:
        raise ValueError("limit must be positive")
    units = utf16_offsets(text)
    parts: list[tuple[str, list[Span]]] = []
    start = _skip_space(text, 0)
    while start < len(text):
        # The furthest code point the part may reach.
        furthest = bisect.bisect_right(units, units[start] + limit) - 1
        if furthest >= len(text):
            end, following = len(text), len(text)
        else:
            end, following = _cut(text, spans, start, furthest)
        _append(parts, text, spans, start, end)
        start = _skip_space(text, following)
    return parts


def _cut(text: str, spans: list[Span], start: int, furthest: int) -> tuple[int, int]:
    """Where the part from ``start`` ends and where the next one begins."""
    floor = start + (furthest - start) // 3
    for end, following in _candidates(text, start, furthest):
        if end > floor and not _inside(spans, end):
            return end, following
    for end in range(furthest, floor, -1):  # any place between entities
        if not _inside(spans, end):
            return end, end
    # One entity longer than a message (a long code block): it is cut, at a line break or a
    # space if there is one.
    for end, following in _candidates(text, start, furthest):
        if end > floor:
            return end, following
    return furthest, furthest


def _candidates(text: str, start: int, furthest: int) -> Iterator[tuple[int, int]]:
    window = text[start:furthest]
    for separator in ("\n\n", "\n"):
        index = window.rfind(separator)
        while index >= 0:
            yield start + index, start + index + len(separator)
            index = window.rfind(separator, 0, index)
    for match in reversed(list(_SENTENCE_END.finditer(window))):
        yield start + match.end() - 1, start + match.end()
    index = window.rfind(" ")
    while index >= 0:
        yield start + index, start + index + 1
        index = window.rfind(" ", 0, index)


def _inside(spans: list[Span], position: int) -> bool:
    return any(span.offset < position < span.end for span in spans)


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def _append(
    parts: list[tuple[str, list[Span]]], text: str, spans: list[Span], start: int, end: int
) -> None:
    piece = text[start:end].rstrip()
    if not piece.strip():
        return
    stop = start + len(piece)
    shifted: list[Span] = []
    for span in spans:
        low, high = max(span.offset, start), min(span.end, stop)
        if high > low and text[low:high].strip():
            shifted.append(Span(span.kind, low - start, high - low, **span.extra))
    parts.append((piece, shifted))
