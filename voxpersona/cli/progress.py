"""A dependency-free progress bar on stderr, for operators' commands."""

from __future__ import annotations

import sys
from typing import TextIO


class ProgressBar:
    """``[#####.....] 50/100 label``, redrawn in place; silent when not on a terminal."""

    def __init__(self, total: int, label: str = "", stream: TextIO | None = None) -> None:
        self.total = max(total, 0)
        self.done = 0
        self.label = label
        self._stream = stream or sys.stderr
        self._live = self._stream.isatty()

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self._live:
            width = 30
            filled = width if self.total == 0 else min(width, width * self.done // self.total)
            bar = "#" * filled + "." * (width - filled)
            self._stream.write(f"\r[{bar}] {self.done}/{self.total} {self.label}")
            self._stream.flush()

    def close(self) -> None:
        if self._live:
            self._stream.write("\n")
            self._stream.flush()
