"""Skip GX's freshness check for a checkpoint trainguard has just loaded from the store.

Before every run GX re-reads the checkpoint, its validation definitions and their suites from
the store and compares them with the objects in memory (``is_fresh``), refusing to run objects
that differ; it checks each validation definition twice (inside the checkpoint's check and again
when the definition runs). ``run_checkpoint`` loads the checkpoint from the store itself just
before it runs, so for that object the comparison can only find what was just read: 0.2 s a
day on an 80-expectation suite, paid again for every day of a ``--from/--to`` range. Within
``loaded_from_store`` those objects count as fresh, so every day of one run is validated with
the suite as it was when the run started; every other object is checked as GX does.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Iterator
from typing import Any

from training.gx_speedups.registry import patch

_LOADED: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar("trainguard_loaded", default=frozenset())


@contextlib.contextmanager
def loaded_from_store(checkpoint: Any) -> Iterator[None]:
    """Within this block, ``checkpoint`` (just read from the store) and its validation
    definitions are not compared with the store again."""
    ids = frozenset({id(checkpoint), *(id(d) for d in checkpoint.validation_definitions)})
    token = _LOADED.set(_LOADED.get() | ids)
    try:
        yield
    finally:
        _LOADED.reset(token)


@functools.cache
def install() -> None:
    """Wrap GX's two ``is_fresh`` methods once per process (GX is pinned: see requirements.txt)."""
    from great_expectations.checkpoint.checkpoint import Checkpoint
    from great_expectations.core.freshness_diagnostics import (
        CheckpointFreshnessDiagnostics,
        ValidationDefinitionFreshnessDiagnostics,
    )
    from great_expectations.core.validation_definition import ValidationDefinition

    for cls, fresh in (
        (Checkpoint, CheckpointFreshnessDiagnostics),
        (ValidationDefinition, ValidationDefinitionFreshnessDiagnostics),
    ):
        patch(cls, "is_fresh", _trusting(cls.is_fresh, fresh))


def _trusting(check: Any, fresh: type) -> Any:
    def is_fresh(self: Any) -> Any:
        if id(self) in _LOADED.get():
            return fresh(errors=[])
        return check(self)

    return is_fresh
