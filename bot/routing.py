"""Handlers declared once at module level, registered on a fresh :class:`aiogram.Router` per
dispatcher: an aiogram router can belong to one dispatcher only, and a process may run the bot
more than once (a restart in tests, several bots in one process)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

from aiogram import Router

_F = TypeVar("_F", bound=Callable[..., Any])
_Kind = Literal["message", "callback_query"]


class RouteTable:
    """Collects ``(kind, filters, handler)`` and message middlewares; :meth:`build` makes the
    router."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._routes: list[tuple[_Kind, tuple[Any, ...], Callable[..., Any]]] = []
        self._message_middlewares: list[Any] = []

    def message(self, *filters: Any) -> Callable[[_F], _F]:
        return self._add("message", filters)

    def callback_query(self, *filters: Any) -> Callable[[_F], _F]:
        return self._add("callback_query", filters)

    def message_middleware(self, middleware: Any) -> None:
        self._message_middlewares.append(middleware)

    def _add(self, kind: _Kind, filters: tuple[Any, ...]) -> Callable[[_F], _F]:
        def register(handler: _F) -> _F:
            self._routes.append((kind, filters, handler))
            return handler

        return register

    def build(self) -> Router:
        router = Router(name=self.name)
        for middleware in self._message_middlewares:
            router.message.middleware(middleware)
        for kind, filters, handler in self._routes:
            observer = router.message if kind == "message" else router.callback_query
            observer.register(handler, *filters)
        return router
