"""Service fixtures for this folder."""

import pytest

from tests.log_capture import captured_logs
from tests.services import _services_stay_alive, fake_openai, fake_telegram, services, stack
from tests.speech import local_transcriber, whisper_model_dir

__all__ = [
    "_services_stay_alive",
    "captured_logs",
    "fake_openai",
    "fake_telegram",
    "local_transcriber",
    "services",
    "stack",
    "whisper_model_dir",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The secrets test reads the logs of every other e2e test, so it runs after them."""
    e2e = [i for i, item in enumerate(items) if "/e2e/" in str(item.path)]
    last = [item for item in items if item.path.name == "test_no_secrets_in_logs.py"]
    if not e2e or not last:
        return
    end = e2e[-1]
    rest = [item for item in items[: end + 1] if item not in last]
    items[:] = [*rest, *last, *items[end + 1 :]]
