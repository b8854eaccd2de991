"""Build the Data Docs index once per range run, not after every day of it.

GX's docs action renders, after each validation, the validation's page, its suite's page and
the site index; the index lists every stored validation, so in a 30-day run it is rebuilt 30
times from a growing history (over a third of such a run). Within ``one_index_per_run`` the
action writes only the pages that changed (each suite page once) and the index is built once
when the block ends, together with trainguard's own site pages. Outside the block (one day,
Airflow tasks, GX used directly) GX's action runs as it is, except that, in and out of the
block, a suite's page is rendered only when the suite changed (``suite_pages.py``).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from training.gx_speedups import suite_pages

if TYPE_CHECKING:
    from great_expectations.data_context import FileDataContext

    from training.core.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    built: set[tuple] = field(default_factory=set)
    last: Any = None
    site_names: list[str] | None = None
    pages: list[Path] = field(default_factory=list)


_PENDING: contextvars.ContextVar[_Pending | None] = contextvars.ContextVar("trainguard_index_once", default=None)


def defer_pages(pages: list[Path]) -> bool:
    """In a range run, keep ``pages`` (just written by the docs action) to be made offline with
    the index at its end, and say so; outside one, do nothing and return False."""
    pending = _PENDING.get()
    if pending is None:
        return False
    pending.pages += pages
    return True


@contextlib.contextmanager
def one_index_per_run(context: FileDataContext, settings: Settings) -> Iterator[None]:
    """Within this block GX's docs action skips the index; it is built once when the block ends,
    also when the block ends with an error, so the validations already stored are listed."""
    pending = _Pending()
    token = _PENDING.set(pending)
    try:
        yield
    finally:
        _PENDING.reset(token)
        if pending.last is not None:
            _finish(context, settings, pending)


def _finish(context: FileDataContext, settings: Settings, pending: _Pending) -> None:
    from training.docs_site.finish import finish_site

    try:
        # The public call builds the index together with at least one page: the last one again.
        context.build_data_docs(site_names=pending.site_names, resource_identifiers=[pending.last], build_index=True)
        finish_site(settings, pending.pages)
    except Exception:  # the validations are stored and recorded; `trainguard docs build` repairs the site
        log.warning("could not build the Data Docs index", exc_info=True)


def _build_pages_only(context: FileDataContext, pending: _Pending, site_names: list[str] | None, todo: list) -> dict:
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    todo = [r for r in todo if r.to_tuple() not in pending.built]
    for identifier in todo:
        if isinstance(identifier, ExpectationSuiteIdentifier):
            pending.built.add(identifier.to_tuple())
        else:
            pending.last = identifier
    pending.site_names = site_names or None
    if not todo:  # an empty list would make GX rebuild every page
        return {}
    return context.build_data_docs(site_names=site_names, resource_identifiers=todo, dry_run=False, build_index=False)


@functools.cache
def install() -> None:
    """Wrap GX's docs action once per process (GX is pinned: see requirements.txt)."""
    from great_expectations.checkpoint.actions import DataDocsAction

    build = DataDocsAction._build_data_docs

    def _build_data_docs(self: Any, site_names: list[str] | None = None, resource_identifiers: list | None = None):
        if not resource_identifiers:  # GX's "every page"
            return build(self, site_names, resource_identifiers)
        context = self._resolve_context().context
        todo, fingerprints = suite_pages.pages_to_render(context, site_names, resource_identifiers)
        pending = _PENDING.get()
        if pending is None:
            built = build(self, site_names, todo)
        else:
            built = _build_pages_only(context, pending, site_names, todo)
        suite_pages.remember_rendered(context, site_names, fingerprints)
        return built

    DataDocsAction._build_data_docs = _build_data_docs
