"""Progress of a multi-day run on stderr: a redrawn bar on a terminal, one line per day otherwise
(so CI logs stay readable).

Each line says what happened to its own day (``FAILED: 2 of 41 expectations (mean of fare,
nulls in tip)``); the run's count of failed days so far stands apart at the end of the line, in
brackets, so it is never read as the day's own count.
"""

from __future__ import annotations

import sys
from typing import TextIO

from training.gx.results import BatchResult
from training.gx.summary import subjects

WIDTH = 30
# Erase the rest of the terminal line: a shorter line drawn over a longer one leaves no tail.
_CLEAR_TO_END = "\x1b[K"


def day_verdict(result: BatchResult) -> str:
    """What happened to one batch: ``passed``, ``passed, 1 warning``, ``FAILED: 2 of 41
    expectations (mean of fare, nulls in tip_rate)``, or ``FAILED: no rows in ...``."""
    if result.error:
        return f"FAILED: {result.error}"
    if not result.success:
        return f"FAILED: {len(result.failures)} of {result.evaluated} expectations ({subjects(result.failures)})"
    warned = len(result.warnings)
    return f"passed, {warned} warning{'s' if warned != 1 else ''}" if warned else "passed"


class Progress:
    """Call with each finished batch; ``close`` ends the bar's line."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.done = 0
        self.failed = 0
        self.stream = stream or sys.stderr
        self.redraw = self.stream.isatty()
        self._line_open = False

    def __call__(self, result: BatchResult) -> None:
        self.done += 1
        self.failed += not result.success
        filled = WIDTH * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (WIDTH - filled)
        so_far = f"[{self.failed} of {self.done} days failed so far]"
        line = f"[{bar}] {self.done}/{self.total} {result.batch_value} {day_verdict(result)}  {so_far}"
        if not self.redraw:
            self.stream.write(f"{line}\n")
        else:
            # A failed day's line stays on screen; a passed day's is drawn over by the next one.
            self.stream.write(f"\r{line}{_CLEAR_TO_END}" + ("\n" if not result.success else ""))
            self._line_open = result.success
        self.stream.flush()

    def close(self) -> None:
        if self.redraw and self._line_open:
            self.stream.write("\n")
            self.stream.flush()
            self._line_open = False
