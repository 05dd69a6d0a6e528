"""Transcription engines behind one interface; nothing downstream knows which one ran."""

from reactor.transcription.base import ProgressCallback, Segment, Transcriber, Transcript

__all__ = ["ProgressCallback", "Segment", "Transcriber", "Transcript"]
