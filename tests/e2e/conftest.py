"""Service fixtures for this folder."""

from tests.services import _services_stay_alive, fake_openai, fake_telegram, services, stack
from tests.speech import local_transcriber, whisper_model_dir

__all__ = [
    "_services_stay_alive",
    "fake_openai",
    "fake_telegram",
    "local_transcriber",
    "services",
    "stack",
    "whisper_model_dir",
]
