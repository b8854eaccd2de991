"""Progress of a multi-day run on stderr: a redrawn bar on a terminal, one line per day otherwise
(so CI logs stay readable)."""

from __future__ import annotations

import sys
from typing import TextIO

from training.gx.results import BatchResult

WIDTH = 30


class Progress:
    """Call with each finished batch; ``close`` ends the bar's line."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.done = 0
        self.failed = 0
        self.stream = stream or sys.stderr
        self.redraw = self.stream.isatty()

    def __call__(self, result: BatchResult) -> None:
        self.done += 1
        self.failed += not result.success
        filled = WIDTH * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (WIDTH - filled)
        line = (
            f"[{bar}] {self.done}/{self.total} {result.batch_value} "
            f"{'pass' if result.success else 'FAIL'} ({self.failed} failed)"
        )
        self.stream.write(f"\r{line}" if self.redraw else f"{line}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.redraw and self.done:
            self.stream.write("\n")
            self.stream.flush()
