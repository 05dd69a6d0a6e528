"""The production log formats: JSON lines or readable lines, per-event context, redaction."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from voxpersona.logging import configure_logging, get_logger

SECRET = "sk-live-0123456789abcdef"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    config = structlog.get_config()
    yield
    root.handlers[:], level = saved
    root.setLevel(level)
    structlog.configure(**config)
    structlog.contextvars.clear_contextvars()


def _log_one_event() -> None:
    structlog.contextvars.bind_contextvars(
        key="audio/1/2026/01/01/a.ogg", recording_id="r-1", attempt=2
    )
    get_logger("reactor.pipeline").info("recording.failed", reason=f"key {SECRET} rejected")
    structlog.contextvars.clear_contextvars()


@pytest.mark.usefixtures("restore_logging")
def test_json_lines_carry_event_context_and_no_secret(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(log_format="json", secrets=[SECRET])
    _log_one_event()
    [line] = capsys.readouterr().err.strip().splitlines()
    record = json.loads(line)
    assert record["event"] == "recording.failed"
    assert (record["key"], record["recording_id"], record["attempt"]) == (
        "audio/1/2026/01/01/a.ogg",
        "r-1",
        2,
    )
    assert record["reason"] == "key [REDACTED] rejected"


@pytest.mark.usefixtures("restore_logging")
def test_console_lines_are_readable(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(log_format="console", secrets=[SECRET])
    _log_one_event()
    [line] = capsys.readouterr().err.strip().splitlines()
    assert not line.startswith("{")
    assert "recording.failed" in line
    assert "recording_id=r-1" in line
    assert SECRET not in line
