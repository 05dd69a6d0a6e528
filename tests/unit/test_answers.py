"""Cited answers: citation checking, the prompt, and the passages fallback (no I/O)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from voxpersona.answers import (
    AnswerKind,
    Asker,
    Source,
    answer_language,
    build_prompt,
    check_citations,
    clock,
    compose_answer,
    recording_ids,
    render_references,
    sources_of,
)
from voxpersona.passages.search import PassageHit

RECORDING = uuid.uuid4()


def source(number: int, text: str = "Бюджет урезали на треть.", start: float = 83.0) -> Source:
    return Source(number, RECORDING, "Созвон с заказчиком", start, start + 30, text)


class ScriptedModel:
    """A chat model that answers from a script and keeps what it was sent."""

    model = "scripted"

    def __init__(self, reply: str | Exception) -> None:
        self.reply = reply
        self.prompts: list[tuple[str, str]] = []

    async def complete(self, *, system: str, user: str) -> str:
        self.prompts.append((system, user))
        if isinstance(self.reply, Exception):
            raise self.reply
        return self.reply


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0, "00:00"), (83.9, "01:23"), (3599, "59:59"), (3723, "1:02:03")]
)
def test_clock(seconds: float, shown: str) -> None:
    assert clock(seconds) == shown


def test_citations_of_passages_not_given_are_dropped() -> None:
    checked = check_citations("Бюджет урезали [1]. Клиент злится [7]. Сроки [2, 9][1].", 2)
    assert checked.text == "Бюджет урезали [1]. Клиент злится. Сроки [2][1]."
    assert checked.cited == (1, 2)
    assert checked.dropped == (7, 9)


def test_citation_ranges_and_plain_brackets() -> None:
    checked = check_citations("See [1-3] and [2020 report].", 3)
    assert checked.text == "See [1][2][3] and [2020 report]."
    assert checked.cited == (1, 2, 3)


def test_answer_language_follows_the_question() -> None:
    assert answer_language("Что говорил клиент о бюджете?") == "ru"
    assert answer_language("what did the client say about the budget") == "en"
    assert answer_language("2024?", fallback="en") == "en"


def test_prompt_holds_the_sources_their_labels_and_the_language() -> None:
    system, user = build_prompt(
        "What about the budget?", [source(1), source(2, "Сроки.", 3700)], "en"
    )
    assert "Answer in English" in system
    assert "[1] «Созвон с заказчиком, 01:23»:\nБюджет урезали на треть." in user
    assert "[2] «Созвон с заказчиком, 1:01:40»" in user
    assert user.endswith("Question: What about the budget?")


async def test_model_answer_keeps_valid_citations() -> None:
    model = ScriptedModel("Клиенту урезали бюджет на треть [1], об этом говорили и позже [5].")
    answer = await compose_answer("бюджет?", [source(1)], model, language="ru")
    assert answer.kind is AnswerKind.ANSWER
    assert answer.text == "Клиенту урезали бюджет на треть [1], об этом говорили и позже."
    assert answer.cited == (1,)
    assert answer.dropped == (5,)
    assert [s.label for s in answer.cited_sources()] == ["Созвон с заказчиком, 01:23"]
    assert recording_ids(answer) == [RECORDING]


async def test_an_answer_citing_nothing_valid_falls_back_to_passages() -> None:
    answer = await compose_answer("бюджет?", [source(1)], ScriptedModel("Да [4]."), language="ru")
    assert answer.kind is AnswerKind.FALLBACK
    assert "«Бюджет урезали на треть.» [1]" in answer.text
    assert answer.dropped == ()  # the fallback shows only passages; nothing of the reply


async def test_a_failing_model_still_gives_the_passages() -> None:
    answer = await compose_answer("q", [source(1)], ScriptedModel(TimeoutError()), language="en")
    assert answer.kind is AnswerKind.FALLBACK
    assert answer.text.startswith("No answer could be composed")
    assert answer.cited == (1,)


async def test_without_a_model_the_passages_are_the_answer() -> None:
    sources = [source(1), source(2, "x " * 400)]
    answer = await compose_answer("q", sources, None, language="ru")
    assert answer.kind is AnswerKind.PASSAGES
    assert answer.text.startswith("Вот что нашлось в ваших записях:")
    assert answer.text.count("…") == 1  # the long passage is cut to an excerpt
    assert render_references(answer.cited_sources()).splitlines() == [
        "[1] Созвон с заказчиком, 01:23–01:53",
        "[2] Созвон с заказчиком, 01:23–01:53",
    ]


class OneUserFinder:
    """Passages of one user only, like the real search."""

    def __init__(self, owner: int, hits: list[PassageHit]) -> None:
        self.owner, self.hits = owner, hits

    async def search(
        self, user_id: int, question: str, *, limit: int = 8, per_recording: int = 2
    ) -> list[PassageHit]:
        return self.hits[:limit] if user_id == self.owner else []


async def test_the_prompt_holds_only_the_asking_users_passages() -> None:
    created = datetime(2026, 3, 1, tzinfo=UTC)
    secret = PassageHit(uuid.uuid4(), 0, None, created, 0, 20, None, "Пароль от сейфа 4711.", 1.0)
    finder = OneUserFinder(owner=1, hits=[secret])
    model = ScriptedModel("Ответ [1].")
    nothing = await Asker(finder, model).ask(2, "Какой пароль от сейфа?")
    assert nothing.kind is AnswerKind.NOTHING
    assert model.prompts == []  # no passage of the asker: the model is not even asked
    mine = await Asker(finder, model).ask(1, "Какой пароль от сейфа?")
    assert mine.kind is AnswerKind.ANSWER
    assert "4711" in model.prompts[0][1]
    assert mine.sources[0].title == "Запись от 2026-03-01"


def test_sources_are_numbered_from_one() -> None:
    created = datetime(2026, 3, 1, tzinfo=UTC)
    hits = [
        PassageHit(RECORDING, i, "T", created, i * 30.0, i * 30.0 + 25, None, "t", 1.0)
        for i in range(3)
    ]
    assert [s.number for s in sources_of(hits, "en")] == [1, 2, 3]
