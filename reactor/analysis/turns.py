"""The transcript an analysis reads: speaker turns when diarization found several voices (pure).

"Спикер 1: …" / "Speaker 1: …" in the analysis language, consecutive segments of one speaker
merged, so a scenario (the interview's roles) sees who said what; one voice or none: the plain
text, exactly as stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

SPEAKER_WORD = {"ru": "Спикер", "en": "Speaker"}


def speaker_turns(segments: Sequence[Mapping[str, Any]], language: str) -> list[tuple[int, str]]:
    """``(speaker, text)`` turns in time order; empty unless two or more speakers spoke."""
    spoken = [s for s in segments if str(s.get("text", "")).strip()]
    if len({s.get("speaker") for s in spoken if s.get("speaker") is not None}) < 2:
        return []
    turns: list[tuple[int, str]] = []
    for segment in sorted(spoken, key=lambda s: (float(s.get("start", 0)), float(s.get("end", 0)))):
        speaker = segment.get("speaker")
        if speaker is None:
            speaker = turns[-1][0] if turns else 1
        text = str(segment["text"]).strip()
        if turns and turns[-1][0] == speaker:
            turns[-1] = (speaker, f"{turns[-1][1]} {text}")
        else:
            turns.append((int(speaker), text))
    return turns


def analysis_input(text: str, segments: Sequence[Mapping[str, Any]], language: str) -> str:
    """The text a scenario analyses: turns with speaker labels, or ``text`` unchanged."""
    turns = speaker_turns(segments, language)
    if not turns:
        return text
    word = SPEAKER_WORD.get(language, SPEAKER_WORD["en"])
    return "\n\n".join(f"{word} {speaker}: {said}" for speaker, said in turns)
