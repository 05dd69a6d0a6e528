"""Answering a question from the asking user's passages, with citations.

With a chat model: the passages go to the model under :data:`~voxpersona.answers.prompt.
SYSTEM_PROMPT`; citations it makes of passages it was not given are dropped, and an answer left
with no citation at all is not shown as an answer (the passages are). Without a model, or when
the model fails, the best passages themselves are the answer, cited the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from voxpersona.answers.citations import Source, check_citations, clock
from voxpersona.answers.prompt import answer_language, build_prompt
from voxpersona.logging import get_logger
from voxpersona.passages.search import PassageHit

log = get_logger(__name__)
EXCERPT_CHARS = 300


class AnswerModel(Protocol):
    """One system + user exchange (:class:`voxpersona.llm.OpenAIChat`)."""

    model: str

    async def complete(self, *, system: str, user: str) -> str: ...


class PassageFinder(Protocol):
    """The asking user's best passages (:class:`voxpersona.passages.PassageSearch`)."""

    async def search(
        self, user_id: int, question: str, *, limit: int = 8, per_recording: int = 2
    ) -> list[PassageHit]: ...


class AnswerKind(StrEnum):
    ANSWER = "answer"  # the model's answer, with valid citations
    PASSAGES = "passages"  # no model configured: the passages are the answer
    FALLBACK = "fallback"  # the model failed or cited nothing usable: passages shown instead
    NOTHING = "nothing"  # the user has no passage for this question


@dataclass(frozen=True, slots=True)
class Answer:
    """What ``/ask`` shows: ``text`` cites ``[n]``; ``sources`` are what the numbers mean;
    ``cited`` the numbers actually used; ``dropped`` citations of passages never given."""

    kind: AnswerKind
    language: str
    text: str
    sources: tuple[Source, ...]
    cited: tuple[int, ...] = ()
    dropped: tuple[int, ...] = ()

    def cited_sources(self) -> list[Source]:
        """The sources cited, in order of first citation (all of them for passages)."""
        by_number = {s.number: s for s in self.sources}
        return [by_number[n] for n in self.cited]


_HEADERS = {
    "ru": {
        AnswerKind.PASSAGES: "Вот что нашлось в ваших записях:",
        AnswerKind.FALLBACK: "Не удалось составить ответ; вот что нашлось в ваших записях:",
        AnswerKind.NOTHING: "В ваших записях ничего не нашлось по этому вопросу.",
    },
    "en": {
        AnswerKind.PASSAGES: "Here is what I found in your recordings:",
        AnswerKind.FALLBACK: "No answer could be composed; here is what your recordings hold:",
        AnswerKind.NOTHING: "Nothing in your recordings matches this question.",
    },
}
_UNTITLED = {"ru": "Запись от {date}", "en": "Recording of {date}"}


def sources_of(hits: Sequence[PassageHit], language: str) -> list[Source]:
    """Number the hits from 1; untitled recordings are named by their date."""
    return [
        Source(
            number=index,
            recording_id=hit.recording_id,
            title=hit.title or _UNTITLED[language].format(date=f"{hit.created_at:%Y-%m-%d}"),
            start=hit.start,
            end=hit.end,
            text=hit.text,
            speaker=hit.speaker,
        )
        for index, hit in enumerate(hits, start=1)
    ]


def render_references(sources: Sequence[Source]) -> str:
    """``[1] Title, 01:23–01:58`` lines, for under an answer."""
    return "\n".join(f"[{s.number}] {s.title}, {clock(s.start)}–{clock(s.end)}" for s in sources)


def passages_answer(
    sources: Sequence[Source], language: str, kind: AnswerKind = AnswerKind.PASSAGES
) -> Answer:
    """The passages themselves as the answer: excerpt, then the citation."""
    if not sources:
        return Answer(AnswerKind.NOTHING, language, _HEADERS[language][AnswerKind.NOTHING], ())
    lines = [_HEADERS[language][kind]]
    for s in sources:
        excerpt = " ".join(s.text.split())
        if len(excerpt) > EXCERPT_CHARS:
            excerpt = excerpt[:EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"
        lines.append(f"«{excerpt}» [{s.number}]")
    return Answer(
        kind, language, "\n\n".join(lines), tuple(sources), cited=tuple(s.number for s in sources)
    )


async def compose_answer(
    question: str, sources: Sequence[Source], model: AnswerModel | None, *, language: str
) -> Answer:
    """Ask ``model`` (if any) with ``sources`` only; check its citations."""
    if not sources or model is None:
        return passages_answer(sources, language)
    system, user = build_prompt(question, sources, language)
    try:
        reply = await model.complete(system=system, user=user)
    except Exception as exc:
        # Whatever failed in the model, the user still gets the passages that were found.
        log.warning("ask.model_failed", model=model.model, error=type(exc).__name__)
        return passages_answer(sources, language, AnswerKind.FALLBACK)
    checked = check_citations(reply, len(sources))
    if checked.dropped:
        log.warning("ask.citations_dropped", model=model.model, dropped=list(checked.dropped))
    if not checked.cited:
        return passages_answer(sources, language, AnswerKind.FALLBACK)
    return Answer(
        AnswerKind.ANSWER, language, checked.text, tuple(sources), checked.cited, checked.dropped
    )


class Asker:
    """``/ask``: the asking user's passages, then the answer."""

    def __init__(
        self, finder: PassageFinder, model: AnswerModel | None, *, passages: int = 6
    ) -> None:
        self._finder = finder
        self._model = model
        self._passages = passages

    async def ask(self, user_id: int, question: str, *, fallback_language: str = "ru") -> Answer:
        language = answer_language(question, fallback_language)
        hits = await self._finder.search(user_id, question, limit=self._passages)
        return await compose_answer(
            question, sources_of(hits, language), self._model, language=language
        )


def recording_ids(answer: Answer) -> list[uuid.UUID]:
    """The cited recordings, each once, in order of first citation (for the buttons)."""
    return list(dict.fromkeys(s.recording_id for s in answer.cited_sources()))
