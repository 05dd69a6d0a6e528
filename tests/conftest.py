"""Root test configuration: the ``--stack`` option. Service fixtures live in
:mod:`tests.services` and are loaded by the integration and e2e folders only, so unit tests
import nothing heavy."""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--stack",
        choices=("local", "containers", "both"),
        default=os.environ.get("VOXPERSONA_TEST_STACK", "both"),
        help="backends for integration/e2e tests: local services, Docker containers, or both "
        "(containers are skipped when no Docker engine is reachable)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "stack_kind" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("--stack")
        kinds = ["local", "containers"] if chosen == "both" else [chosen]
        metafunc.parametrize("stack_kind", kinds, scope="session")
