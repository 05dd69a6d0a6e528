"""Service fixtures for this folder."""

from tests.services import fake_openai, fake_telegram, services, stack

__all__ = ["fake_openai", "fake_telegram", "services", "stack"]
