"""Every user-facing string lives in the catalogue, complete in Russian and English: a key used
by the code and missing from either language fails here."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from bot.dispatching import GROUP_MENU, PRIVATE_MENU
from bot.i18n import CATALOGUE
from bot.keyboards import RECORDING_LANGUAGES, SCENARIOS
from bot.routers.intake import file_problem_key
from bot.telegram_files import FileProblem
from bot.texts import access, botapi, commands, intake, library
from voxpersona.contracts.progress import Stage

BOT = Path(__file__).resolve().parents[2] / "bot"
# t(lang, "key" ...) and t(language, "key" ...), possibly across lines.
_STATIC_KEY = re.compile(r"\bt\(\s*\w+,\s*\"([a-z_.]+)\"")


def used_keys() -> set[str]:
    keys: set[str] = set()
    for path in BOT.rglob("*.py"):
        if "texts" in path.parts:
            continue
        keys |= set(_STATIC_KEY.findall(path.read_text("utf-8")))
    return keys


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_used_in_the_code_exists() -> None:
    missing = sorted(key for key in used_keys() if key not in CATALOGUE)
    assert not missing, missing
    assert len(used_keys()) > 60  # the scan sees the code


def test_dynamic_keys_exist() -> None:
    dynamic = [
        *(f"lang.{code}" for code in RECORDING_LANGUAGES),
        *(f"scenario.{name}" for name in (*SCENARIOS, "none")),
        *(f"rec_status.{status}" for status in ("processing", "done", "failed")),
        "btn_ui_ru",
        "btn_ui_en",
        *(f"menu.{name}" for name in (*PRIVATE_MENU, *GROUP_MENU)),
        *(
            file_problem_key(problem, local=local)
            for problem in FileProblem
            for local in (False, True)
        ),
    ]
    assert [key for key in dynamic if key not in CATALOGUE] == []


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_both_languages_with_the_same_placeholders(key: str) -> None:
    texts = CATALOGUE[key]
    assert set(texts) == {"ru", "en"}
    assert all(text.strip() for text in texts.values())
    assert placeholders(texts["ru"]) == placeholders(texts["en"])


def test_no_key_is_defined_twice() -> None:
    modules = (commands.TEXTS, intake.TEXTS, library.TEXTS, access.TEXTS, botapi.TEXTS)
    seen: set[str] = set()
    for texts in modules:
        assert not seen & set(texts), seen & set(texts)
        seen |= set(texts)


def test_every_stage_has_a_status_text() -> None:
    for stage in Stage:
        key = "status_transcribing" if stage is Stage.TRANSCRIBING else f"status_{stage.value}"
        assert key in CATALOGUE, key


def test_scenario_buttons_match_the_scenario_files() -> None:
    shipped = {p.stem for p in (BOT.parent / "reactor" / "scenarios").glob("*.toml")}
    assert set(SCENARIOS) == shipped
