"""The services never import the local stack (tests' and ``voxpersona dev``'s doubles), and the
shared package never imports the services' internals."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(folder: Path) -> set[tuple[str, str]]:
    found = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add((str(path.relative_to(ROOT)), node.module))
            elif isinstance(node, ast.Import):
                found.update((str(path.relative_to(ROOT)), alias.name) for alias in node.names)
    return found


@pytest.mark.parametrize("service", ["bot", "reactor"])
def test_services_never_import_the_local_stack(service: str) -> None:
    offending = {
        (path, module)
        for path, module in imported_modules(ROOT / service)
        if module.startswith("voxpersona.localstack")
    }
    assert offending == set()


def test_storage_and_contracts_do_not_depend_on_the_services() -> None:
    offending = {
        (path, module)
        for folder in ("contracts", "storage")
        for path, module in imported_modules(ROOT / "voxpersona" / folder)
        if module.split(".")[0] in {"bot", "reactor"}
    }
    assert offending == set()


def test_the_bot_never_imports_the_reactor() -> None:
    offending = {
        (path, module)
        for path, module in imported_modules(ROOT / "bot")
        if module.split(".")[0] == "reactor"
    }
    assert offending == set()


_RECORDINGS_TABLES = r"(recordings|analysis_steps|recording_tombstones|recording_purges)\b"
_WRITE = re.compile(rf"(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+{_RECORDINGS_TABLES}", re.I)
_ANY_SQL = re.compile(rf"(FROM|JOIN|INTO|UPDATE)\s+{_RECORDINGS_TABLES}", re.I)


def sql_hits(folder: Path, pattern: re.Pattern[str]) -> set[str]:
    return {
        str(path.relative_to(ROOT))
        for path in folder.rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    }


def test_only_the_recordings_module_writes_recordings() -> None:
    writers = set()
    for folder in ("bot", "reactor", "voxpersona"):
        writers |= sql_hits(ROOT / folder, _WRITE)
    assert writers == {"voxpersona/recordings/repository.py"}


def test_the_bot_runs_no_sql_on_recordings() -> None:
    assert sql_hits(ROOT / "bot", _ANY_SQL) == set()
