"""Shared by the small benchmarks: a scratch folder per size, and timings taken in turns."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def scratch_folder(prefix: str) -> Iterator[Path]:
    """A fresh temporary folder, removed afterwards whatever happened."""
    base = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def fastest_in_turns(measured: Sequence[Callable[[], object]], rounds: int = 5) -> list[float]:
    """The fastest of ``rounds`` timings of each function, the functions taking turns so that a
    noisy minute on a shared machine hits them all."""
    best = [float("inf")] * len(measured)
    for _ in range(rounds):
        for i, fn in enumerate(measured):
            start = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def days_option(doc: str | None, default: str) -> list[int]:
    """The ``--days`` sizes a benchmark is run for (comma-separated on its command line)."""
    import argparse

    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", default=default, help="days of history, comma-separated")
    return [int(d) for d in parser.parse_args().days.split(",")]
