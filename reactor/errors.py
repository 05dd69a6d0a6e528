"""The reactor's error root: transient (redeliver later) or permanent (record and stop)."""

from __future__ import annotations


class ReactorError(Exception):
    """Base of failures while processing one event."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class TransientError(ReactorError):
    """Retrying later may succeed: network, 5xx, 429, timeouts, database unavailable."""


class PermanentError(ReactorError):
    """Retrying cannot help: not audio, object gone, rejected by the transcriber (4xx)."""
