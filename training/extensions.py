"""The composition root: everything trainguard adds to GX, registered once per process.

The runner and the recording action (``training/gx``) sit below the checks, the Data Docs site
and the speed layer, so they reach them only through ``training.gx.hooks``. Importing the ``training`` package calls
``enable()``, which costs nothing: the imports happen in ``install()``, when a GX context is
first opened.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any


def enable() -> None:
    """Make ``open_context`` install trainguard's extensions first (no import happens here)."""
    from training.gx import hooks

    hooks.set_installer(install)


@functools.cache
def install() -> None:
    """Register the custom expectations and the recording action with GX, hook the Data Docs
    refresh onto the recording action, and install the speed layer unless it is switched off
    (``TRAINGUARD_GX_SPEEDUPS``) or GX's version is not one it was verified on."""
    import training.checks
    import training.gx.record.action  # noqa: F401  (registers the recording action's type)
    from training.core.settings import current_settings
    from training.gx import hooks
    from training.gx_speedups import registry

    hooks.after_record.append(_refresh_site)
    if not registry.install(current_settings().gx_speedups):
        return
    from training.gx_speedups import frozen_startup, known_batch, loaded_fresh

    hooks.around_gx.append(registry.active)
    hooks.after_open.append(frozen_startup.freeze_once)
    hooks.around_run.append(_index_once_per_range)
    hooks.around_checkpoint.append(loaded_fresh.loaded_from_store)
    hooks.around_batch.append(known_batch.known_batch)


def _index_once_per_range(context: Any, settings: Any, several: bool) -> Any:
    import contextlib

    from training.gx_speedups.index_once import one_index_per_run

    return one_index_per_run(context, settings) if several else contextlib.nullcontext()


def _refresh_site(settings: Any, written: list[Path], suites: set[str]) -> None:
    from training.docs_site.finish import pages_of_validation, refresh_after_validation

    pages = pages_of_validation(settings, written, suites)
    if not _deferred(pages):  # a range run makes them offline once at its end, with the index
        refresh_after_validation(settings, pages)


def _deferred(pages: list[Path]) -> bool:
    from training.gx_speedups import registry

    if not registry.is_active():
        return False
    from training.gx_speedups.index_once import defer_pages

    return defer_pages(pages)


def open_context(settings: Any = None) -> Any:
    """Enable the extensions and open the GX file context (for scripts, benchmarks and tests)."""
    from training.gx.context import open_context as open_gx_context

    enable()
    return open_gx_context(settings)
