"""docker-compose's healthchecks call the services' own readiness endpoints on their ports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from voxpersona.settings import VoxSettings

ROOT = Path(__file__).resolve().parents[2]


def test_compose_healthchecks_use_readyz_on_the_default_ports() -> None:
    compose: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    defaults = VoxSettings()
    for service, port in (("reactor", defaults.http_port), ("bot", defaults.bot_http_port)):
        test = " ".join(compose["services"][service]["healthcheck"]["test"])
        assert f"http://127.0.0.1:{port}/readyz" in test, service


def test_status_page_ships_with_the_package_and_loads_nothing_remote() -> None:
    from voxpersona.observability.http import status_page

    page = status_page().decode()
    assert "<script src" not in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page
