"""Routing signed button presses by their action."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import CallbackQuery

from bot.callbacks import Callback


class Action(Filter):
    """Matches callbacks whose verified action is one of ``actions``."""

    def __init__(self, *actions: str) -> None:
        self._actions = frozenset(actions)

    async def __call__(self, query: CallbackQuery, cb: Callback) -> bool:
        return cb.action in self._actions
