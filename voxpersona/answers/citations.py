"""Sources an answer may cite, and checking the citations an answer makes: pure, no I/O."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

# [1], [2, 3], [1][4], [1–2] are all citations; a bracketed year or word is not.
_CITATION = re.compile(r"\[(\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*)\]")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([.,;:!?])")


@dataclass(frozen=True, slots=True)
class Source:
    """Passage ``number`` (from 1) as the prompt and the answer show it."""

    number: int
    recording_id: uuid.UUID
    title: str
    start: float
    end: float
    text: str
    speaker: str | None = None

    @property
    def label(self) -> str:
        """``Title, 01:23``: how a citation reads."""
        return f"{self.title}, {clock(self.start)}"


@dataclass(frozen=True, slots=True)
class CheckedAnswer:
    """The answer with invalid citations removed; ``cited`` in order of first use."""

    text: str
    cited: tuple[int, ...]
    dropped: tuple[int, ...]


def clock(seconds: float) -> str:
    """``mm:ss`` (``h:mm:ss`` from one hour on) of a time in a recording."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def _numbers(inside: str) -> list[int]:
    found: list[int] = []
    for part in re.split(r"\s*[,;]\s*", inside):
        bounds = re.split(r"\s*[–-]\s*", part)
        if len(bounds) == 2 and int(bounds[0]) <= int(bounds[1]) <= int(bounds[0]) + 20:
            found.extend(range(int(bounds[0]), int(bounds[1]) + 1))
        else:
            found.extend(int(b) for b in bounds)
    return found


def check_citations(answer: str, available: int) -> CheckedAnswer:
    """Keep citations of sources 1..``available``; drop (and report) any other number, so an
    answer never points at a passage it was not given."""
    cited: list[int] = []
    dropped: list[int] = []

    def rewrite(match: re.Match[str]) -> str:
        valid = []
        for number in _numbers(match.group(1)):
            if 1 <= number <= available:
                valid.append(number)
                if number not in cited:
                    cited.append(number)
            elif number not in dropped:
                dropped.append(number)
        return "".join(f"[{n}]" for n in dict.fromkeys(valid))

    text = _CITATION.sub(rewrite, answer)
    text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text).strip()
    return CheckedAnswer(text, tuple(cited), tuple(dropped))
