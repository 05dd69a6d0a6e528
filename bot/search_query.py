"""Parsing ``/search`` arguments: words and an optional date or date range (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_DATE = r"\d{4}-\d{2}-\d{2}"
_RANGE = re.compile(rf"^(?P<start>{_DATE})?\.\.(?P<end>{_DATE})?$")
_SINGLE = re.compile(rf"^{_DATE}$")
_LOOKS_LIKE_DATE = re.compile(r"^\d{4}-[\d.\-]*$")
MAX_WORDS = 12


class BadDateError(ValueError):
    """A date-like argument that is not a valid date or range; ``value`` names it."""

    def __init__(self, value: str) -> None:
        super().__init__(value)
        self.value = value


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """Words to find (all of them) and a half-open UTC range ``[date_from, date_to)``."""

    words: tuple[str, ...] = ()
    date_from: datetime | None = None
    date_to: datetime | None = None

    @property
    def empty(self) -> bool:
        return not self.words and self.date_from is None and self.date_to is None


def _day(text: str, original: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadDateError(original) from None


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def parse_search(arguments: str | None) -> SearchQuery:
    """``бюджет 2024-05-01..2024-05-31`` → words and the range (the end day included)."""
    words: list[str] = []
    start: date | None = None
    end: date | None = None
    for token in (arguments or "").split():
        match = _RANGE.match(token)
        if match and (match["start"] or match["end"]):
            start = _day(match["start"], token) if match["start"] else None
            end = _day(match["end"], token) if match["end"] else None
        elif _SINGLE.match(token):
            start = end = _day(token, token)
        elif _LOOKS_LIKE_DATE.match(token):
            raise BadDateError(token)
        else:
            words.append(token)
    if start is not None and end is not None and end < start:
        start, end = end, start
    return SearchQuery(
        words=tuple(words[:MAX_WORDS]),
        date_from=_midnight(start) if start else None,
        date_to=_midnight(end) + timedelta(days=1) if end else None,
    )
