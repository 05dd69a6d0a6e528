"""The services never import the local stack (tests' and ``voxpersona dev``'s doubles), and the
shared package never imports the services' internals."""

from __future__ import annotations

import ast
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
