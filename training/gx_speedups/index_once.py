"""Build the Data Docs index once per range run, not after every day of it.

GX's docs action renders, after each validation, the validation's page, its suite's page and
the site index; the index lists every stored validation, so in a 30-day run it is rebuilt 30
times from a growing history (over a third of such a run). Within ``one_index_per_run`` the
action writes only the pages that changed (each suite page once) and the index is built once
when the block ends, together with trainguard's own site pages. Outside the block (one day,
Airflow tasks, GX used directly) GX's action runs as it is, except that, in and out of the
block, a suite's page is rendered only when the suite changed (``suite_pages.py``).

The wrapper also holds the site's lock (shared) while GX writes pages, so a concurrent
``trainguard docs build`` never swaps out the build being written, and it turns a failed page
write (an unwritable site, a full disk, a rendering error) into a problem reported to the run:
the validation is stored, the record action still runs, the verdict stands.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from training.gx_speedups import suite_pages

if TYPE_CHECKING:
    from great_expectations.data_context import FileDataContext

    from training.core.settings import Settings


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
    from training.docs_site import site_dir
    from training.docs_site.finish import finish_site, site_errors, site_not_updated

    try:
        with site_dir.locked(settings.data_docs_dir, exclusive=False):
            # The public call builds the index together with at least one page: the last one again.
            context.build_data_docs(
                site_names=pending.site_names, resource_identifiers=[pending.last], build_index=True
            )
            finish_site(settings, pending.pages)
    except site_errors() as exc:  # the validations are stored and recorded; reported, never a verdict
        site_not_updated("could not build the Data Docs index", exc)


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


@contextlib.contextmanager
def _sites_locked(context: Any, site_names: list[str] | None) -> Iterator[None]:
    """Hold each local site's lock (shared) while GX writes pages into it, so a full build never
    swaps out or deletes the build being written (``docs_site/site_dir.py``); a project without
    a site gets its first build folder."""
    from training.docs_site import site_dir

    folders = sorted(
        {f for f in (suite_pages.site_folder(context, s) for s in suite_pages.site_list(context, site_names)) if f}
    )
    with contextlib.ExitStack() as stack:
        for folder in folders:
            stack.enter_context(site_dir.locked(folder, exclusive=False))
            site_dir.ensure_site(folder)
        yield


def _build_changed(build: Any, action: Any, context: Any, site_names: list[str] | None, identifiers: list) -> Any:
    todo, fingerprints = suite_pages.pages_to_render(context, site_names, identifiers)
    pending = _PENDING.get()
    if pending is None:
        built = build(action, site_names, todo)
    else:
        built = _build_pages_only(context, pending, site_names, todo)
    suite_pages.remember_rendered(context, site_names, fingerprints)
    return built


@functools.cache
def install() -> None:
    """Wrap GX's docs action once per process (GX is pinned: see requirements.txt); the wrapper
    applies inside ``registry.active()`` (trainguard's runner), stock GX elsewhere."""
    from great_expectations.checkpoint.actions import DataDocsAction

    from training.gx_speedups.registry import patch

    def _build_data_docs(self: Any, site_names: list[str] | None = None, resource_identifiers: list | None = None):
        if not resource_identifiers:  # GX's "every page"
            return build(self, site_names, resource_identifiers)
        from training.docs_site.finish import site_errors, site_not_updated

        context = self._resolve_context().context
        try:
            with _sites_locked(context, site_names):
                return _build_changed(build, self, context, site_names, resource_identifiers)
        except site_errors() as exc:  # the validation is stored; its record must still be written
            site_not_updated("could not write the validation's Data Docs pages", exc)
            return {}

    build = patch(DataDocsAction, "_build_data_docs", _build_data_docs)
