from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from voxpersona.lifecycle import StartupError, run_service
from voxpersona.settings import ConfigError, VoxSettings


@dataclass
class FakeServiceSettings:
    vox: VoxSettings = field(default_factory=VoxSettings)


def test_startup_error_exits_with_one_redacted_line() -> None:
    async def serve(settings: FakeServiceSettings, stop: asyncio.Event) -> None:
        raise StartupError("NATS at nats://vox:s3cr3t-pass@nats:4222 unreachable")

    with pytest.raises(SystemExit) as caught:
        run_service("reactor", FakeServiceSettings, serve, lambda s: ["another-secret"])
    message = str(caught.value.code)
    assert message.startswith("reactor cannot start: NATS at nats://vox:")
    assert "s3cr3t-pass" not in message


def test_configuration_error_exits_with_its_line() -> None:
    def load() -> FakeServiceSettings:
        raise ConfigError("configuration error: DATABASE_URL is required but not set")

    async def serve(settings: FakeServiceSettings, stop: asyncio.Event) -> None:
        raise AssertionError("must not serve")

    with pytest.raises(SystemExit) as caught:
        run_service("bot", load, serve, lambda s: [])
    assert caught.value.code == "configuration error: DATABASE_URL is required but not set"


def test_serve_returning_ends_normally() -> None:
    served: list[bool] = []

    async def serve(settings: FakeServiceSettings, stop: asyncio.Event) -> None:
        served.append(not stop.is_set())

    run_service("bot", FakeServiceSettings, serve, lambda s: [])
    assert served == [True]
