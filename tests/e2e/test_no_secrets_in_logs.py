"""Every log line the e2e suite produced, rendered as in production, greps clean of the
configured secrets; and each event's lines carry its object key, recording id and attempt.

Runs after every other e2e test (see ``conftest.py``) and makes traffic of its own first, so
it means something when run alone too: a success, a rejected transcription key, a storage
outage with retries, and a presigned URL handed to the logger.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from tests.audio import ogg_opus
from tests.log_capture import TEST_SECRETS, CapturedLogs
from tests.ops import scrape, scrape_until
from tests.services import RunningServices
from voxpersona.localstack.fake_telegram import FakeUser
from voxpersona.localstack.stack import LocalStack
from voxpersona.logging import get_logger
from voxpersona.storage import MinioObjectStore

_users = itertools.count(930_000_001)
SIGNATURE = re.compile(r"Signature=[0-9a-f]{32,}", re.IGNORECASE)
# In-event lines that come before a recording id exists (or where none ever will).
NO_RECORDING = {
    "event.rejected",
    "event.ignored",
    "event.audio_removed",
    "passages.removed",
    # A scenario chosen for an upload the reactor may not have seen yet: an object's line.
    "command.scenario_chosen",
}
# A removal event is about an object (whose audio may belong to several recordings' rows).
OBJECT_OUTCOMES = {"removed"}


def secret_forms(secret: str) -> set[str]:
    """The secret as is, URL-encoded, and a bot token's secret half on its own."""
    forms = {secret, quote(secret, safe="")}
    if ":" in secret:
        forms.add(secret.split(":", 1)[1])
    return forms


SETTLED = ("voxpersona_events_acked_total", "voxpersona_events_naked_total")


async def settle(services: RunningServices, send: Callable[[], object], events: int) -> None:
    """Send one message and wait until the reactor settled ``events`` more deliveries."""
    before = await scrape(services.reactor_http)
    send()
    await scrape_until(
        services.reactor_http,
        lambda s: sum(s.get(n) for n in SETTLED) >= sum(before.get(n) for n in SETTLED) + events,
    )


async def make_traffic(services: RunningServices) -> None:
    telegram, openai = services.telegram, services.openai
    await settle(services, lambda: telegram.user_sends_voice(new_user(), ogg_opus(0.4), 1), 1)
    openai.fail_next("transcriptions", 401)
    await settle(services, lambda: telegram.user_sends_voice(new_user(), ogg_opus(0.3), 1), 1)
    stack = services.stack
    if isinstance(stack, LocalStack) and stack.minio is not None:
        stack.minio.inject_fault("get", 503, "SlowDown", times=3)
        # A nak, then the redelivery that succeeds.
        await settle(services, lambda: telegram.user_sends_voice(new_user(), ogg_opus(0.2), 1), 2)


def new_user() -> FakeUser:
    return FakeUser(id=next(_users), first_name="Logs", language_code="en")


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


async def test_no_secret_reaches_any_log_line(
    services: RunningServices, captured_logs: CapturedLogs
) -> None:
    await make_traffic(services)
    store = MinioObjectStore(services.reactor_settings.minio)
    url = await store.presigned_get(
        store.audio_bucket, "audio/1/2026/01/01/x.ogg", ttl=timedelta(minutes=1)
    )
    assert SIGNATURE.search(url) is not None
    get_logger("bot.delivery").warning("delivery.link", url=url)

    text = captured_logs.text()
    lines = json_lines(text)
    assert len(lines) > 50, "the capture saw the services' logs"
    assert any(line.get("logger", "").startswith("reactor") for line in lines)
    assert any(line.get("logger", "").startswith("bot") for line in lines)
    for secret in TEST_SECRETS:
        for form in secret_forms(secret):
            assert form not in text, f"a configured secret leaked ({form[:4]}…)"
    assert SIGNATURE.search(text) is None, "a presigned URL's signature leaked"
    [link] = [line for line in lines if line.get("event") == "delivery.link"]
    assert "[REDACTED]" in link["url"]


async def test_each_event_line_names_key_recording_and_attempt(
    services: RunningServices, captured_logs: CapturedLogs
) -> None:
    in_event = [
        line
        for line in json_lines(captured_logs.text())
        if "stream_seq" in line and line.get("logger", "").startswith("reactor")
    ]
    acked = [line for line in in_event if line.get("event") == "event.acked"]
    assert acked, "events were processed"
    missing = []
    for line in in_event:
        needed = (
            {"attempt", "key"}
            if line["event"] in NO_RECORDING or line.get("outcome") in OBJECT_OUTCOMES
            else {
                "attempt",
                "key",
                "recording_id",
            }
        )
        if line["event"] == "event.rejected" and line.get("code") == "malformed_event":
            needed = {"attempt"}
        if not needed <= line.keys():
            missing.append((line["event"], sorted(needed - line.keys())))
    assert missing == []
