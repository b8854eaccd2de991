"""Move what imports and the first context created out of the garbage collector's sight.

GX, SQLAlchemy and pandas leave about 280,000 objects that live as long as the process. The
first full collection during a checkpoint run scanned them all: 0.17 s of a 1.7 s day. Done
once per process, after the speed layer is installed (``training.gx.context`` calls it), so
that objects of later runs are collected as usual. It changes no object, only when the
collector looks at them.
"""

from __future__ import annotations

import functools
import gc

_installed: list[bool] = []


def install() -> None:
    """Allow ``freeze_once`` (the layer is on)."""
    _installed.append(True)


@functools.cache
def freeze_once() -> None:
    if _installed:
        gc.freeze()
