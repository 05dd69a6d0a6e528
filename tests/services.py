"""Session fixtures: real local services started once, on free ports, and torn down."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from bot.app import run_bot
from reactor.app import run_reactor
from tests.stacks import Stack, docker_unavailable_reason, open_stack
from voxpersona.localstack.fake_openai import FakeOpenAI
from voxpersona.localstack.fake_telegram import FakeTelegram
from voxpersona.localstack.ports import free_port
from voxpersona.settings import (
    BotSettings,
    OpenAISettings,
    ReactorSettings,
    TelegramSettings,
    VoxSettings,
)

OPENAI_TEST_KEY = "sk-test-0123456789abcdef"
STATUS_TEST_TOKEN = "status-test-token-0123456789"
TELEGRAM_TEST_TOKEN = "123456789:AAE-test-token-for-the-fake-server"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def stack(stack_kind: str) -> AsyncIterator[Stack]:
    if stack_kind == "containers":
        reason = docker_unavailable_reason()
        if reason is not None:
            pytest.skip(f"containers backend: {reason}")
    async with open_stack(stack_kind) as opened:
        yield opened


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def fake_openai() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(api_key=OPENAI_TEST_KEY) as server:
        yield server


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


def _http(port_field: str = "http_port") -> dict[str, object]:
    """The operators' HTTP server on a free port, guarded by the test token."""
    return {port_field: free_port(), "status_token": STATUS_TEST_TOKEN}


def make_reactor_settings(stack: Stack, openai: FakeOpenAI, **vox: object) -> ReactorSettings:
    return ReactorSettings(
        minio=stack.minio_settings(),
        nats=stack.nats_settings(),
        database=stack.database_settings(),
        openai=OpenAISettings(api_key=OPENAI_TEST_KEY, base_url=openai.base_url, timeout=10),  # type: ignore[arg-type]
        vox=VoxSettings(**{"ack_wait_seconds": 10, "shutdown_grace_seconds": 5, **_http(), **vox}),  # type: ignore[arg-type]
    )


def make_bot_settings(stack: Stack, telegram: FakeTelegram) -> BotSettings:
    return BotSettings(
        telegram=TelegramSettings(bot_token=TELEGRAM_TEST_TOKEN, api_url=telegram.base_url),  # type: ignore[arg-type]
        minio=stack.minio_settings(),
        nats=stack.nats_settings(),
        database=stack.database_settings(),
        # A spool of this session's own, never one left by an earlier run.
        vox=VoxSettings(
            spool_dir=Path(tempfile.mkdtemp(prefix="vp-spool-")),
            # Telegram's per-chat pacing (1 s) would make bulk tests to one chat take minutes;
            # the pacing itself is tested on its own.
            delivery_private_interval_seconds=0.02,
            delivery_group_interval_seconds=0.05,
            **_http(port_field="bot_http_port"),  # type: ignore[arg-type]
        ),
    )


@dataclass
class RunningServices:
    """Bot and reactor running in this process against ``stack`` and the fakes."""

    stack: Stack
    telegram: FakeTelegram
    openai: FakeOpenAI
    reactor_settings: ReactorSettings
    bot_settings: BotSettings
    tasks: tuple[asyncio.Task[None], ...] = ()

    @property
    def reactor_http(self) -> str:
        """The reactor's /healthz, /readyz, /metrics, /status server."""
        return f"http://127.0.0.1:{self.reactor_settings.vox.http_port}"

    @property
    def bot_http(self) -> str:
        return f"http://127.0.0.1:{self.bot_settings.vox.bot_http_port}"

    def assert_alive(self) -> None:
        """A service task that ended mid-session is a bug: surface its exception."""
        for task in self.tasks:
            if task.done():
                raise AssertionError(f"service task ended early: {task.exception()!r}")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def services(
    stack: Stack, fake_telegram: FakeTelegram, fake_openai: FakeOpenAI
) -> AsyncIterator[RunningServices]:
    reactor_settings = make_reactor_settings(stack, fake_openai)
    bot_settings = make_bot_settings(stack, fake_telegram)
    stop = asyncio.Event()
    reactor = asyncio.create_task(run_reactor(reactor_settings, stop))
    bot = asyncio.create_task(run_bot(bot_settings, stop))
    await asyncio.sleep(0.5)
    for task in (reactor, bot):
        if task.done():
            task.result()  # surface start-up failures right here
    yield RunningServices(
        stack, fake_telegram, fake_openai, reactor_settings, bot_settings, (reactor, bot)
    )
    stop.set()
    results = await asyncio.gather(reactor, bot, return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, f"services stopped with errors: {errors!r}"


@pytest.fixture(autouse=True)
def _services_stay_alive(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test that used the running services, they must still be running."""
    yield
    if "services" in request.fixturenames:
        request.getfixturevalue("services").assert_alive()
