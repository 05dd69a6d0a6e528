"""Analysis scenarios: the shipped prompt files, chaining, map-reduce over long transcripts."""

from __future__ import annotations

import pytest

from reactor.analysis import ScenarioBook, run_scenario
from reactor.analysis.runner import split_text
from reactor.analysis.scenarios import ScenarioError, parse_scenario
from reactor.errors import PermanentError


class ScriptedChat:
    """A chat model at the protocol boundary: records prompts, answers by rule."""

    model = "scripted"

    def __init__(self, fail_on: str | None = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.fail_on = fail_on

    async def complete(self, *, system: str, user: str) -> str:
        self.calls.append((system, user))
        if self.fail_on and self.fail_on in user:
            raise PermanentError("analysis_rejected", "HTTP 400")
        return f"out{len(self.calls)}"


async def beat() -> None:
    return None


def test_shipped_scenarios_load_in_both_languages() -> None:
    book = ScenarioBook.load("summary")
    assert book.names == ["audit", "interview", "summary"]
    interview = book.choose("interview")
    assert [s.name for s in interview.steps] == ["roles", "report"]
    assert interview.steps[0].mode == "map"
    assert "Интервьюер" in interview.steps[0].prompt["ru"]
    assert "Interviewer" in interview.steps[0].prompt["en"]
    assert book.choose(None).name == "summary"
    assert book.choose("no-such-scenario").name == "summary"


def test_malformed_scenarios_are_refused() -> None:
    with pytest.raises(ScenarioError, match="steps"):
        parse_scenario("x", 'title = { ru = "a", en = "b" }')
    with pytest.raises(ScenarioError, match="'ru' and 'en'"):
        parse_scenario(
            "x",
            'title = { ru = "a" }\n[[steps]]\nname = "s"\nmode = "map"\n'
            'system = { ru = "a", en = "b" }\nprompt = { ru = "a", en = "b" }',
        )
    with pytest.raises(ScenarioError, match="map_prompt"):
        parse_scenario(
            "x",
            'title = { ru = "a", en = "b" }\n[[steps]]\nname = "s"\n'
            'system = { ru = "a", en = "b" }\nprompt = { ru = "a", en = "b" }',
        )
    with pytest.raises(ScenarioError, match="default"):
        ScenarioBook({}, "summary")


def test_split_text_keeps_sentences_and_limits() -> None:
    text = "Первое предложение. Второе предложение! Третье? " + "слово " * 50
    parts = split_text(text, 60)
    assert all(len(p) <= 60 for p in parts)
    assert " ".join(parts).split() == text.split()
    assert parts[0] == "Первое предложение. Второе предложение! Третье?"
    with pytest.raises(ValueError, match="positive"):
        split_text("x", 0)


async def test_steps_chain_each_reading_the_previous_output() -> None:
    chat = ScriptedChat()
    book = ScenarioBook.load("summary")
    outputs = await run_scenario(
        book.choose("interview"),
        "короткая расшифровка",
        "ru",
        chat,
        chunk_chars=10_000,
        concurrency=2,
        heartbeat=beat,
    )
    assert [(o.name, o.output, o.chunks) for o in outputs] == [
        ("roles", "out1", 1),
        ("report", "out2", 1),
    ]
    assert "короткая расшифровка" in chat.calls[0][1]
    assert "out1" in chat.calls[1][1]  # the report reads the labelled transcript


async def test_long_transcripts_are_map_reduced() -> None:
    chat = ScriptedChat()
    transcript = "Предложение номер один. " * 200  # ~4.8k characters
    outputs = await run_scenario(
        ScenarioBook.load("summary").choose("summary"),
        transcript,
        "en",
        chat,
        chunk_chars=1_000,
        concurrency=3,
        heartbeat=beat,
    )
    parts = len(split_text(transcript, 1_000))
    assert parts >= 5
    assert len(chat.calls) == parts + 1  # every part mapped, then one reduce
    assert outputs[0].chunks == parts
    reduce_input = chat.calls[-1][1]
    assert all(f"out{i}" in reduce_input for i in range(1, parts + 1))
    assert "Action items" in reduce_input  # the English prompt was used


async def test_a_rejected_request_stops_the_scenario() -> None:
    chat = ScriptedChat(fail_on="roles-marker")
    with pytest.raises(PermanentError):
        await run_scenario(
            ScenarioBook.load("summary").choose("summary"),
            "roles-marker",
            "ru",
            chat,
            chunk_chars=1_000,
            concurrency=1,
            heartbeat=beat,
        )
