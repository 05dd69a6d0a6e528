"""Scenarios are TOML files in ``reactor/scenarios``: a title and a chain of steps, each with a
system prompt and a user prompt per language (``ru``, ``en``).

A step in ``reduce`` mode that gets a long input first runs its ``map_prompt`` over each part
and then its ``prompt`` over the joined notes; a step in ``map`` mode runs ``prompt`` over each
part and joins the outputs (for work that is local to a passage, such as labelling speakers).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

Language = Literal["ru", "en"]
LANGUAGES: tuple[Language, ...] = ("ru", "en")


class ScenarioError(ValueError):
    """A scenario file is malformed (caught at start-up, not on a user's recording)."""


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    mode: Literal["reduce", "map"]
    system: dict[Language, str]
    prompt: dict[Language, str]
    map_prompt: dict[Language, str] | None


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    title: dict[Language, str]
    steps: tuple[Step, ...]


def _texts(raw: Any, where: str) -> dict[Language, str]:
    if not isinstance(raw, dict) or any(
        not isinstance(raw.get(lang), str) or not raw[lang].strip() for lang in LANGUAGES
    ):
        raise ScenarioError(f"{where}: needs non-empty 'ru' and 'en' texts")
    return {lang: raw[lang].strip() for lang in LANGUAGES}


def _step(raw: Any, where: str) -> Step:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise ScenarioError(f"{where}: a step needs a name")
    mode = raw.get("mode", "reduce")
    if mode not in ("reduce", "map"):
        raise ScenarioError(f"{where}: mode must be 'reduce' or 'map'")
    map_prompt = raw.get("map_prompt")
    if mode == "reduce" and map_prompt is None:
        raise ScenarioError(f"{where}: a reduce step needs a map_prompt for long inputs")
    return Step(
        name=raw["name"],
        mode=mode,
        system=_texts(raw.get("system"), f"{where}.system"),
        prompt=_texts(raw.get("prompt"), f"{where}.prompt"),
        map_prompt=_texts(map_prompt, f"{where}.map_prompt") if map_prompt is not None else None,
    )


def parse_scenario(name: str, text: str) -> Scenario:
    """Parse one scenario file's text."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{name}: {exc}") from exc
    steps = raw.get("steps")
    if not isinstance(steps, list) or not steps:
        raise ScenarioError(f"{name}: needs at least one [[steps]] table")
    return Scenario(
        name=name,
        title=_texts(raw.get("title"), f"{name}.title"),
        steps=tuple(_step(step, f"{name}.steps[{i}]") for i, step in enumerate(steps)),
    )


class ScenarioBook:
    """Every scenario shipped in ``reactor/scenarios``, loaded and checked once."""

    def __init__(self, scenarios: dict[str, Scenario], default: str) -> None:
        if default not in scenarios:
            raise ScenarioError(f"default scenario {default!r} not among {sorted(scenarios)}")
        self._scenarios = scenarios
        self.default = default

    @classmethod
    def load(cls, default: str) -> ScenarioBook:
        found: dict[str, Scenario] = {}
        for entry in resources.files("reactor.scenarios").iterdir():
            if entry.name.endswith(".toml"):
                name = entry.name.removesuffix(".toml")
                found[name] = parse_scenario(name, entry.read_text("utf-8"))
        return cls(found, default)

    @property
    def names(self) -> list[str]:
        return sorted(self._scenarios)

    def choose(self, name: str | None) -> Scenario:
        """The named scenario, or the default when none or an unknown one was chosen."""
        return self._scenarios.get(name or self.default, self._scenarios[self.default])
