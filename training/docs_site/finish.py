"""After GX wrote pages: trainguard's own site pages, then every written page made offline."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from training.core.settings import Settings
from training.docs_site.paths import suite_page

log = logging.getLogger(__name__)


def finish_site(settings: Settings, pages: Iterable[Path] | None = None, site: Path | None = None) -> None:
    """After GX wrote pages: trainguard's pages, then rewrite ``pages`` (default all) offline.

    ``site`` is where the files are now (a staging folder during a full build); links are
    computed for the site's final place, ``settings.data_docs_dir``.
    """
    from training.docs_site.offline import make_offline
    from training.docs_site.pages import write_site_pages
    from training.warehouse.engine import get_engine

    site = site or settings.data_docs_dir
    write_site_pages(site, get_engine(settings.warehouse_url), settings.gx_root, final_site=settings.data_docs_dir)
    todo = None if pages is None else list(dict.fromkeys([*pages, site / "index.html"]))
    unknown = make_offline(site, todo)
    if unknown:
        log.warning("Data Docs refer to resources outside the site: %s", ", ".join(unknown))


def pages_of_validation(settings: Settings, written: list[Path], suites: set[str]) -> list[Path]:
    """The pages GX's docs action just wrote for a validation, with its suites' pages."""
    site = settings.data_docs_dir
    return [*written, *(page for page in (suite_page(site, s) for s in sorted(suites)) if page.is_file())]


def refresh_after_validation(settings: Settings, pages: list[Path]) -> None:
    """Refresh trainguard's pages and make ``pages`` offline; a docs problem must not turn a
    recorded validation into a crash (``trainguard docs build`` repairs the site)."""
    try:
        finish_site(settings, pages)
    except Exception:
        log.warning("could not refresh trainguard's Data Docs pages", exc_info=True)
