"""Every log line of the e2e services, rendered exactly as production renders it (JSON, secret
redaction configured with the test secrets), kept in a file for the secrets test to grep."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from tests.services import OPENAI_TEST_KEY, STATUS_TEST_TOKEN, TELEGRAM_TEST_TOKEN
from voxpersona.localstack.stack import SECRET_KEY
from voxpersona.logging import configure_logging

# What the services are configured with in the tests; none may ever reach a log line.
TEST_SECRETS = (
    OPENAI_TEST_KEY,
    TELEGRAM_TEST_TOKEN,
    STATUS_TEST_TOKEN,
    SECRET_KEY,
    "voxpersona-secret",  # the containers backend's MinIO secret (tests/stacks.py)
)


class CapturedLogs:
    def __init__(self, path: Path) -> None:
        self.path = path

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")


@pytest.fixture(scope="session", autouse=True)
def captured_logs() -> Iterator[CapturedLogs]:
    """Production logging (JSON, DEBUG) for the whole session, copied into a file."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    configure_logging(log_format="json", level="DEBUG", secrets=TEST_SECRETS)
    path = Path(tempfile.mkdtemp(prefix="vp-logs-")) / "services.jsonl"
    capture = logging.FileHandler(path, encoding="utf-8")
    capture.setFormatter(root.handlers[0].formatter)
    root.addHandler(capture)
    try:
        yield CapturedLogs(path)
    finally:
        capture.close()
        root.handlers[:], level = saved
        root.setLevel(level)
        structlog.reset_defaults()
