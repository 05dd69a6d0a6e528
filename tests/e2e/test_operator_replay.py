"""``voxpersona replay`` as an operator runs it, against the running services: a dry run lists,
a plain replay skips what is done (no second message), ``--force`` reprocesses it once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import nats

from tests.audio import ogg_opus
from tests.cli import SERVICE_PREFIXES, run_voxpersona
from tests.reactor_harness import wait_idle
from tests.services import RunningServices
from voxpersona.localstack.fake_telegram import FakeUser

USER = FakeUser(id=740_000_001, language_code="en")


def transcripts(services: RunningServices) -> list[str]:
    return [
        m.text or ""
        for m in services.telegram.messages_to(USER.id)
        if "fake transcript" in (m.text or "")
    ]


async def voxpersona(services: RunningServices, cwd: Path, *args: str) -> str:
    env = {
        "NATS_URL": services.reactor_settings.nats.url,
        "DATABASE_URL": services.reactor_settings.database.url.get_secret_value(),
    }
    code, output = await run_voxpersona(*args, env=env, drop=SERVICE_PREFIXES, cwd=cwd)
    assert code == 0, output
    return output


async def test_replay_dry_run_skip_and_force(services: RunningServices, tmp_path: Path) -> None:
    services.openai.reset()
    services.telegram.user_sends_voice(USER, ogg_opus(0.3, frequency=1200.0), duration=1)
    await services.telegram.wait_for(lambda: len(transcripts(services)) == 1, timeout=20)
    await wait_idle(services.reactor_settings)

    listed = await voxpersona(services, tmp_path, "replay", "--user", str(USER.id), "--dry-run")
    assert f"audio/{USER.id}/" in listed
    assert "skip-done" in listed
    assert "would replay 0, would force 0, skipped 1 already done" in listed

    plain = await voxpersona(services, tmp_path, "replay", "--user", str(USER.id))
    assert "replayed 0, forced 0, skipped 1 already done" in plain
    await wait_idle(services.reactor_settings)
    await asyncio.sleep(1.0)
    assert len(transcripts(services)) == 1

    forced = await voxpersona(services, tmp_path, "replay", "--user", str(USER.id), "--force")
    assert "forced 1" in forced
    await services.telegram.wait_for(lambda: len(transcripts(services)) == 2, timeout=20)
    await wait_idle(services.reactor_settings)
    await asyncio.sleep(1.0)
    assert len(transcripts(services)) == 2  # forced once, delivered once

    conn = await asyncpg.connect(services.reactor_settings.database.url.get_secret_value())
    try:
        count = await conn.fetchval("SELECT count(*) FROM recordings WHERE user_id = $1", USER.id)
    finally:
        await conn.close()
    assert count == 1


async def test_forced_replay_runs_each_recording_once_whatever_its_copies(
    services: RunningServices, tmp_path: Path
) -> None:
    """MinIO delivered the event twice (both copies stored): ``--force`` reprocesses the
    recording once, with one force token, and the user gets it once more, not twice."""
    user = FakeUser(id=740_000_002, language_code="en")
    services.telegram.add_chat(user)

    def theirs() -> list[str]:
        return [
            m.text or ""
            for m in services.telegram.messages_to(user.id)
            if "fake transcript" in (m.text or "")
        ]

    services.openai.reset()
    services.telegram.user_sends_voice(user, ogg_opus(0.3, frequency=1250.0), duration=1)
    await services.telegram.wait_for(lambda: len(theirs()) == 1, timeout=20)
    await wait_idle(services.reactor_settings)
    names = services.reactor_settings.streams
    nc = await nats.connect(services.reactor_settings.nats.url)
    try:
        js = nc.jetstream()
        stored = await js.get_last_msg(names.events_stream, names.events_subject)
        assert f"audio%2F{user.id}%2F" in (stored.data or b"").decode()
        await js.publish(names.events_subject, stored.data or b"")  # MinIO's duplicate
    finally:
        await nc.close()
    await wait_idle(services.reactor_settings)
    assert len(services.openai.transcription_requests) == 1

    forced = await voxpersona(services, tmp_path, "replay", "--user", str(user.id), "--force")
    assert "forced 1" in forced
    assert "1 duplicate" in forced
    await services.telegram.wait_for(lambda: len(theirs()) == 2, timeout=20)
    await wait_idle(services.reactor_settings)
    await asyncio.sleep(1.5)
    assert len(theirs()) == 2
    assert len(services.openai.transcription_requests) == 2
