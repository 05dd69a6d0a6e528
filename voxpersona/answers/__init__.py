"""Cited answers from a user's own passages (``/ask``)."""

from voxpersona.answers.answering import (
    Answer,
    AnswerKind,
    AnswerModel,
    Asker,
    PassageFinder,
    compose_answer,
    passages_answer,
    recording_ids,
    render_references,
    sources_of,
)
from voxpersona.answers.citations import CheckedAnswer, Source, check_citations, clock
from voxpersona.answers.prompt import answer_language, build_prompt

__all__ = [
    "Answer",
    "AnswerKind",
    "AnswerModel",
    "Asker",
    "CheckedAnswer",
    "PassageFinder",
    "Source",
    "answer_language",
    "build_prompt",
    "check_citations",
    "clock",
    "compose_answer",
    "passages_answer",
    "recording_ids",
    "render_references",
    "sources_of",
]
