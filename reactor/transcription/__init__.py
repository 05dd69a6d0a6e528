"""Transcription engines behind one interface; nothing downstream knows which one ran."""

from reactor.transcription.base import Segment, Transcriber, Transcript

__all__ = ["Segment", "Transcriber", "Transcript"]
