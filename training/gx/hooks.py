"""Where the layers above GX plug into a run without the runner importing them.

The runner (``run.py``) and the recording action (``record/action.py``) sit below the checks,
the Data Docs site and the speed layer, so they cannot import them. The composition root
(``training/extensions.py``) registers here, once per process, what each of those layers adds
to a run: context managers around any GX work, a run, a checkpoint and a batch, what happens after a
context was opened and after a validation was recorded. With nothing registered, a run is plain GX plus the record.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from training.core.errors import TrainguardError

# () -> context manager around any GX work of trainguard's (a run, a site build)
AroundGx = Callable[[], AbstractContextManager]
# () -> None, after a context was opened
AfterOpen = Callable[[], None]
# (context, settings, several_batches) -> context manager around the whole run
AroundRun = Callable[[Any, Any, bool], AbstractContextManager]
# (checkpoint) -> context manager while that checkpoint object runs
AroundCheckpoint = Callable[[Any], AbstractContextManager]
# (table, batch column, batch value) -> context manager around one batch's validation
AroundBatch = Callable[[str, str, str], AbstractContextManager]
# (settings, pages the docs action wrote, suite names) -> None
AfterRecord = Callable[[Any, list[Path], set[str]], None]

_installer: Callable[[], None] | None = None
around_gx: list[AroundGx] = []
after_open: list[AfterOpen] = []
around_run: list[AroundRun] = []
around_checkpoint: list[AroundCheckpoint] = []
around_batch: list[AroundBatch] = []
after_record: list[AfterRecord] = []


def set_installer(installer: Callable[[], None]) -> None:
    """Name the function that registers trainguard's extensions (called before a context opens)."""
    global _installer
    _installer = installer


def install_extensions() -> None:
    """Run the installer; opening a context without one would load suites without their custom
    expectations (GX drops unknown types with a log line), so that is an error."""
    if _installer is None:
        raise TrainguardError("trainguard's GX extensions are not enabled (call training.extensions.enable() first)")
    _installer()


@contextlib.contextmanager
def entered(managers: list[Callable[..., AbstractContextManager]], *args: Any) -> Iterator[None]:
    """Enter every registered context manager for ``args``, in registration order."""
    with contextlib.ExitStack() as stack:
        for manager in managers:
            stack.enter_context(manager(*args))
        yield
