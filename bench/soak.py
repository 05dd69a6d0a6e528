"""Soak: many uploads through the whole system while its parts are killed and restarted.

A fake Telegram user sends voice messages to a real ``voxpersona-bot`` process; a real
``voxpersona-reactor`` process transcribes them through the fake OpenAI server; everything runs
on the local stack (nats-server, PostgreSQL, S3 behind the MinIO notifier stand-in). Meanwhile a
chaos loop SIGKILLs the reactor and the bot, restarts NATS and PostgreSQL, makes S3 answer 503
for a while and OpenAI answer 429, 500 or not at all. The soak drives the system only from the
outside (processes, services, the user's chat), so it keeps working whatever the code inside
looks like. It ends with a table:

    uploads | transcripts delivered | duplicates | failed (user told) | dead letters | stuck | lost

Every voice message is unique audio; the fake transcriber names the SHA-256 of the bytes it
received, so each transcript message in the chat names the upload it belongs to.

Run: ``.venv/bin/python -m bench.soak [--uploads 1000] [--chaos-every 15] [--seed 1]``
(the goal: 0 lost, 0 duplicates, 0 stuck). A short version runs in CI (tests/e2e/test_soak.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import nats

from tests.audio import ogg_opus
from voxpersona.localstack.fake_openai import FakeOpenAI
from voxpersona.localstack.fake_telegram import FakeTelegram, FakeUser
from voxpersona.localstack.stack import LocalStack
from voxpersona.logging import configure_logging

OPENAI_KEY = "sk-soak-0123456789abcdef"
TELEGRAM_TOKEN = "123456789:AAE-soak-token-for-the-fake-server"
BIN = Path(sys.executable).parent
CHAOS = ("kill_reactor", "kill_bot", "restart_nats", "restart_postgres", "s3_outage", "openai")
TRANSCRIPT_MARK = "fake transcript of"
OPENAI_TIMEOUT = 5.0


@dataclass(frozen=True)
class SoakOptions:
    uploads: int = 1000
    users: int = 10
    upload_interval: float = 0.2
    chaos: Sequence[str] = CHAOS
    chaos_every: float = 15.0
    seed: int = 1
    # After the last upload: how long everything may take to come out.
    settle_seconds: float = 600.0
    # Then: how long to keep watching for late duplicates.
    quiet_seconds: float = 5.0
    work_dir: Path | None = None


@dataclass
class Upload:
    user_id: int
    message_id: int
    mark: str  # "sha256 <16 hex>" as the fake transcriber writes it


@dataclass
class SoakReport:
    uploads: int
    delivered: int
    duplicates: int
    failed: int
    dead_letters: int
    stuck: int
    lost: int
    # Of the lost: how many never became a recording (lost at intake, before MinIO), and how
    # many were recorded as done and announced but never reached the chat (lost in delivery).
    lost_before_storage: int = 0
    lost_in_delivery: int = 0
    chaos: Counter[str] = field(default_factory=Counter)
    crashes: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def table(self) -> str:
        header = (
            "uploads",
            "transcripts delivered",
            "duplicates",
            "failed (user told)",
            "dead letters",
            "stuck rows",
            "lost",
        )
        values = (
            self.uploads,
            self.delivered,
            self.duplicates,
            self.failed,
            self.dead_letters,
            self.stuck,
            self.lost,
        )
        widths = [max(len(h), len(str(v))) for h, v in zip(header, values, strict=True)]
        line = " | ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))
        row = " | ".join(str(v).rjust(w) for v, w in zip(values, widths, strict=True))
        chaos = ", ".join(f"{name} x{count}" for name, count in sorted(self.chaos.items()))
        crashed = ", ".join(f"{name} x{count}" for name, count in sorted(self.crashes.items()))
        return (
            f"{line}\n{'-' * len(line)}\n{row}\n"
            f"of the lost: {self.lost_before_storage} never stored (no recording row), "
            f"{self.lost_in_delivery} announced but never delivered\n"
            f"chaos: {chaos or 'none'}; {self.seconds:.0f} s\n"
            f"services that died on their own (restarted): {crashed or 'none'}"
        )

    @property
    def clean(self) -> bool:
        """The goal: nothing lost, nothing twice, nothing stuck, no service dying of it."""
        return self.lost == 0 and self.duplicates == 0 and self.stuck == 0 and not self.crashes


class Service:
    """One ``voxpersona-bot`` or ``voxpersona-reactor`` process, restartable, logging to a file."""

    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.name = name
        self._env = env
        self._log = log
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self._log.open("ab") as out:
            self._process = subprocess.Popen(
                [str(BIN / f"voxpersona-{self.name}")],
                env=self._env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait()

    def ensure_running(self) -> bool:
        """Restart it if it died on its own; True when it had (a crash is a finding)."""
        if self._process is None or self._process.poll() is not None:
            self.start()
            return True
        return False

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


def service_env(
    stack: LocalStack, telegram: FakeTelegram, openai: FakeOpenAI, work: Path
) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        **stack.env(),
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_API_URL": telegram.base_url,
        "OPENAI_API_KEY": OPENAI_KEY,
        "OPENAI_BASE_URL": openai.base_url,
        "OPENAI_TIMEOUT": str(OPENAI_TIMEOUT),
        "VOXPERSONA_TRANSCRIBER": "openai",
        "VOXPERSONA_ANALYSIS_ENABLED": "false",
        "VOXPERSONA_ACK_WAIT_SECONDS": "10",
        "VOXPERSONA_SHUTDOWN_GRACE_SECONDS": "5",
        "VOXPERSONA_HTTP_PORT": "0",
        "VOXPERSONA_BOT_HTTP_PORT": "0",
        "VOXPERSONA_SPOOL_DIR": str(work / "spool"),
        "VOXPERSONA_WORK_DIR": str(work / "scratch"),
        "VOXPERSONA_LOG_FORMAT": "json",
        "PYTHONUNBUFFERED": "1",  # a SIGKILLed process keeps its last log lines
        # The soak's users send far more than fair use allows a person.
        "VOXPERSONA_RATE_LIMIT_PER_MINUTE": "100000",
        "VOXPERSONA_RATE_LIMIT_BURST": "100000",
        "VOXPERSONA_DAILY_RECORDINGS": "100000",
        "VOXPERSONA_DAILY_AUDIO_MINUTES": "1000000",
        "VOXPERSONA_UPDATES_PER_MINUTE": "100000",
        "VOXPERSONA_UPDATES_BURST": "100000",
    }


class Chaos:
    """Breaks one thing at a time, at random, and always puts it back."""

    def __init__(
        self,
        stack: LocalStack,
        openai: FakeOpenAI,
        services: dict[str, Service],
        rng: random.Random,
    ) -> None:
        self._stack = stack
        self._openai = openai
        self._services = services
        self._rng = rng
        self.done: Counter[str] = Counter()
        # Services found dead that chaos did not kill: crashes, restarted and counted.
        self.crashes: Counter[str] = Counter()

    async def run(self, actions: Sequence[str], every: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            due = time.monotonic() + self._rng.uniform(every / 2, every * 1.5)
            while not stop.is_set() and time.monotonic() < due:
                self.revive()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)
            if stop.is_set() or not actions:
                return
            action = self._rng.choice(list(actions))
            await getattr(self, action)()
            self.done[action] += 1

    def revive(self) -> None:
        """Restart whatever died on its own, and count it."""
        for name, service in self._services.items():
            if service.ensure_running():
                self.crashes[name] += 1

    async def _pause(self, low: float, high: float) -> None:
        await asyncio.sleep(self._rng.uniform(low, high))

    async def kill_reactor(self) -> None:
        self._services["reactor"].kill()
        await self._pause(0.2, 2.0)
        self._services["reactor"].start()

    async def kill_bot(self) -> None:
        self._services["bot"].kill()
        await self._pause(0.2, 2.0)
        self._services["bot"].start()

    async def restart_nats(self) -> None:
        await asyncio.to_thread(self._stack.nats.stop)
        await self._pause(0.5, 3.0)
        await asyncio.to_thread(self._stack.nats.start)

    async def restart_postgres(self) -> None:
        await asyncio.to_thread(self._stack.postgres.stop)
        await self._pause(0.5, 3.0)
        await asyncio.to_thread(self._stack.postgres.start)

    async def s3_outage(self) -> None:
        assert self._stack.minio is not None
        self._stack.minio.inject_fault("any", 503, "SlowDown", times=self._rng.randint(5, 30))

    async def openai(self) -> None:
        kind = self._rng.choice(("429", "500", "timeout"))
        if kind == "429":
            self._openai.fail_next("transcriptions", 429, times=4, retry_after=0.5)
        elif kind == "500":
            self._openai.fail_next("transcriptions", 500, times=4)
        else:
            self._openai.hang_next("transcriptions", OPENAI_TIMEOUT + 5, times=2)


def unique_audio(index: int, seen: set[str]) -> tuple[bytes, str]:
    """A short voice note no other upload has (the fake transcriber names its hash)."""
    frequency = 200.0 + index * 0.37
    while True:
        audio = ogg_opus(0.2, frequency=frequency)
        mark = f"sha256 {hashlib.sha256(audio).hexdigest()[:16]}"
        if mark not in seen:
            seen.add(mark)
            return audio, mark
        frequency += 0.11


def transcript_counts(telegram: FakeTelegram, users: Sequence[FakeUser]) -> Counter[str]:
    """How many transcript messages name each upload's audio."""
    counts: Counter[str] = Counter()
    for user in users:
        for message in telegram.messages_to(user.id):
            text = message.text or message.caption or ""
            if TRANSCRIPT_MARK in text and "sha256 " in text:
                counts["sha256 " + text.split("sha256 ", 1)[1][:16]] += 1
    return counts


async def _query(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    """Run ``sql``, retrying while PostgreSQL is restarting."""
    for _ in range(120):
        try:
            conn = await asyncpg.connect(dsn, timeout=5)
        except (OSError, asyncpg.PostgresError):
            await asyncio.sleep(0.5)
            continue
        try:
            rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
            return rows
        except asyncpg.UndefinedTableError:
            return []
        finally:
            await conn.close()
    raise RuntimeError("PostgreSQL did not come back")


async def dead_letter_count(stack: LocalStack) -> int:
    nc = await nats.connect(stack.nats.url)
    try:
        info = await nc.jetstream().stream_info(stack.names.dead_letter_stream)
        return int(info.state.messages)
    finally:
        await nc.close()


@contextlib.asynccontextmanager
async def _world(
    options: SoakOptions,
) -> AsyncIterator[tuple[LocalStack, FakeTelegram, FakeOpenAI, Path]]:
    work = options.work_dir or Path(tempfile.mkdtemp(prefix="voxpersona-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    stack = LocalStack(base_dir=work / "stack")
    async with stack, FakeTelegram() as telegram, FakeOpenAI(api_key=OPENAI_KEY) as openai:
        yield stack, telegram, openai, work
    if options.work_dir is None:
        shutil.rmtree(work, ignore_errors=True)


async def run_soak(
    options: SoakOptions, *, progress: Callable[[str], None] | None = None
) -> SoakReport:
    """Run the soak and report; the logs of both services stay in ``options.work_dir``."""
    say = progress or (lambda _: None)
    rng = random.Random(options.seed)
    started = time.monotonic()
    async with _world(options) as (stack, telegram, openai, work):
        env = service_env(stack, telegram, openai, work)
        services = {name: Service(name, env, work / f"{name}.log") for name in ("reactor", "bot")}
        users = [
            FakeUser(id=880_000_001 + i, first_name="Soak", language_code="en")
            for i in range(options.users)
        ]
        for user in users:
            telegram.add_chat(user)
        services["reactor"].start()
        services["bot"].start()
        chaos = Chaos(stack, openai, services, rng)
        stop = asyncio.Event()
        chaos_task = asyncio.create_task(chaos.run(options.chaos, options.chaos_every, stop))
        uploads: list[Upload] = []
        seen: set[str] = set()
        try:
            for i in range(options.uploads):
                user = users[i % len(users)]
                audio, mark = unique_audio(i, seen)
                message = telegram.user_sends_voice(user, audio, duration=1)
                uploads.append(Upload(user.id, int(message["message_id"]), mark))
                if (i + 1) % 50 == 0:
                    say(f"{i + 1} uploads sent, chaos so far: {dict(chaos.done)}")
                await asyncio.sleep(options.upload_interval)
        finally:
            stop.set()
            await chaos_task
        chaos.revive()
        openai.reset()
        report = await _settle_and_count(options, stack, telegram, users, uploads, say, chaos)
        report.chaos = chaos.done
        report.crashes = chaos.crashes
        for service in services.values():
            service.stop()
    report.seconds = time.monotonic() - started
    return report


async def _settle_and_count(
    options: SoakOptions,
    stack: LocalStack,
    telegram: FakeTelegram,
    users: Sequence[FakeUser],
    uploads: Sequence[Upload],
    say: Callable[[str], None],
    chaos: Chaos,
) -> SoakReport:
    dsn = stack.database_settings().url.get_secret_value()
    user_ids = [u.id for u in users]
    deadline = time.monotonic() + options.settle_seconds
    while time.monotonic() < deadline:
        counts = transcript_counts(telegram, users)
        failed = await _failed_rows(dsn, user_ids)
        waiting = [
            u for u in uploads if not counts[u.mark] and (u.user_id, u.message_id) not in failed
        ]
        if not waiting:
            break
        say(f"settling: {len(waiting)} uploads without an outcome yet")
        chaos.revive()
        await asyncio.sleep(2.0)
    await asyncio.sleep(options.quiet_seconds)  # late duplicates, if any, arrive now
    counts = transcript_counts(telegram, users)
    failed = await _failed_rows(dsn, user_ids)
    stuck = await _query(
        dsn,
        "SELECT id FROM recordings WHERE user_id = ANY($1::bigint[]) "
        "AND (status = 'processing' OR analysis_status = 'pending')",
        user_ids,
    )
    recorded = {
        (int(r["user_id"]), int(r["message_id"])): r["notified_at"] is not None
        for r in await _query(
            dsn,
            "SELECT user_id, message_id, notified_at FROM recordings "
            "WHERE user_id = ANY($1::bigint[])",
            user_ids,
        )
    }
    delivered = sum(1 for u in uploads if counts[u.mark])
    told_failed = sum(
        1 for u in uploads if not counts[u.mark] and (u.user_id, u.message_id) in failed
    )
    return SoakReport(
        uploads=len(uploads),
        delivered=delivered,
        duplicates=sum(max(0, n - 1) for n in counts.values()),
        failed=told_failed,
        dead_letters=await dead_letter_count(stack),
        stuck=len(stuck),
        lost=len(uploads) - delivered - told_failed,
        lost_before_storage=sum(
            1 for u in uploads if not counts[u.mark] and (u.user_id, u.message_id) not in recorded
        ),
    )


async def _failed_rows(dsn: str, user_ids: list[int]) -> set[tuple[int, int]]:
    """(user, message) of recordings that failed and whose failure was announced."""
    rows = await _query(
        dsn,
        "SELECT user_id, message_id FROM recordings WHERE user_id = ANY($1::bigint[]) "
        "AND status = 'failed' AND notified_at IS NOT NULL",
        user_ids,
    )
    return {(int(r["user_id"]), int(r["message_id"])) for r in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=1000)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between uploads")
    parser.add_argument("--chaos-every", type=float, default=15.0)
    parser.add_argument("--chaos", default=",".join(CHAOS), help="comma-separated actions")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--settle", type=float, default=600.0)
    parser.add_argument("--work-dir", type=Path, default=None, help="keep logs here")
    args = parser.parse_args()
    configure_logging(level="WARNING")
    options = SoakOptions(
        uploads=args.uploads,
        users=args.users,
        upload_interval=args.interval,
        chaos=[c for c in args.chaos.split(",") if c],
        chaos_every=args.chaos_every,
        seed=args.seed,
        settle_seconds=args.settle,
        work_dir=args.work_dir,
    )
    report = asyncio.run(run_soak(options, progress=lambda line: print(line, flush=True)))
    print(report.table())
    sys.exit(0 if report.clean else 1)


if __name__ == "__main__":
    main()
