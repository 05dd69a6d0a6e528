"""The soak's short version: uploads through the real bot and reactor processes while both are
SIGKILLed and OpenAI misbehaves. The full soak (1000 uploads, every kind of chaos) is
``python -m bench.soak``; this one keeps the table honest in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.soak import SoakOptions, run_soak


@pytest.mark.timeout(900)
async def test_short_soak_loses_nothing_and_sends_nothing_twice(tmp_path: Path) -> None:
    options = SoakOptions(
        uploads=16,
        users=2,
        upload_interval=0.5,
        chaos=("kill_reactor", "kill_bot", "openai"),
        chaos_every=3.0,
        seed=7,
        settle_seconds=300,
        work_dir=tmp_path,
    )

    report = await run_soak(options)

    print(report.table())  # shown with -ra on failure, and in the CI log
    assert report.uploads == 16
    assert sum(report.chaos.values()) >= 2, report.table()
    assert (report.lost, report.duplicates, report.stuck) == (0, 0, 0), report.table()
    assert report.delivered + report.failed == report.uploads
    assert not report.crashes, report.table()  # no service died unless chaos killed it
