"""The diarizer interface and the result every diarizer returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]

# How the speakers were told apart: embeddings clustered, one speaker per stereo channel, or
# a recording too short (or with one voice) to hold more than one speaker.
Method = Literal["clustering", "stereo", "single"]


@dataclass(frozen=True, slots=True)
class SpeakerBounds:
    """How many speakers to look for: ``exact``, or between ``minimum`` and ``maximum``."""

    exact: int | None = None
    minimum: int = 1
    maximum: int = 8

    def __post_init__(self) -> None:
        if self.exact is not None and self.exact < 1:
            raise ValueError("exact speaker count must be at least 1")
        if not 1 <= self.minimum <= self.maximum:
            raise ValueError("speaker bounds need 1 <= minimum <= maximum")

    @property
    def low(self) -> int:
        return self.exact if self.exact is not None else self.minimum

    @property
    def high(self) -> int:
        return self.exact if self.exact is not None else self.maximum


@dataclass(frozen=True, slots=True)
class SpeakerTurn:
    """A stretch of one speaker's speech; speakers are numbered 1, 2, … by first appearance."""

    start: float
    end: float
    speaker: int


@dataclass(frozen=True, slots=True)
class Diarization:
    """Who spoke when, and which model and method said so."""

    turns: tuple[SpeakerTurn, ...]
    speakers: int
    method: Method
    model: str
    duration: float
    timings: dict[str, float] = field(default_factory=dict)

    def speaker_at(self, start: float, end: float) -> int | None:
        """The speaker who covers most of ``[start, end]`` (the nearest turn if none overlaps)."""
        if not self.turns:
            return None
        overlap: dict[int, float] = {}
        for turn in self.turns:
            shared = min(end, turn.end) - max(start, turn.start)
            if shared > 0:
                overlap[turn.speaker] = overlap.get(turn.speaker, 0.0) + shared
        if overlap:
            return max(sorted(overlap), key=lambda speaker: overlap[speaker])
        middle = (start + end) / 2
        nearest = min(self.turns, key=lambda t: min(abs(middle - t.start), abs(middle - t.end)))
        return nearest.speaker


class SpeakerEmbedder(Protocol):
    """Turns fixed-length windows of 16 kHz mono audio into L2-normalised speaker embeddings."""

    name: str
    sample_rate: int
    window_seconds: float

    def embed(self, audio: FloatArray, windows: list[tuple[int, int]]) -> FloatArray:
        """One embedding row per ``(start, end)`` sample range of ``audio``."""
        ...


class Diarizer(Protocol):
    """Says who spoke when in an audio file.

    Raises :class:`reactor.errors.PermanentError` for audio that cannot be decoded.
    """

    model: str

    async def diarize(self, path: Path, *, bounds: SpeakerBounds) -> Diarization:
        """Speaker turns of ``path`` within ``bounds``."""
        ...

    def close(self) -> None:
        """Release the worker threads."""
        ...
