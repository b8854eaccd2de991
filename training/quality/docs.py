"""Building the Data Docs site: GX's pages, trainguard's runs and history pages, all offline."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from training.settings import Settings, get_settings

log = logging.getLogger(__name__)


def finish_site(settings: Settings, pages: Iterable[Path] | None = None) -> None:
    """After GX wrote pages: trainguard's pages, then rewrite ``pages`` (default all) offline."""
    from training.quality.offline import make_offline
    from training.quality.site_pages import write_site_pages
    from training.warehouse.engine import get_engine

    site = settings.data_docs_dir
    write_site_pages(site, get_engine(settings.warehouse_url), settings.gx_root)
    todo = None if pages is None else [*pages, site / "index.html"]
    unknown = make_offline(site, todo)
    if unknown:
        log.warning("Data Docs refer to resources outside the site: %s", ", ".join(unknown))


def build_docs(settings: Settings | None = None) -> Path:
    """Rebuild the whole site from the stored suites and validation results; returns index.html."""
    from training.quality.context import open_context

    settings = settings or get_settings()
    open_context(settings).build_data_docs()
    finish_site(settings)
    return settings.data_docs_dir / "index.html"
