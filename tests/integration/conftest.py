"""Service fixtures for this folder."""

from tests.services import _services_stay_alive, fake_openai, fake_telegram, services, stack

__all__ = ["_services_stay_alive", "fake_openai", "fake_telegram", "services", "stack"]
