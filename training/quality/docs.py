"""Building the Data Docs site: GX's pages, trainguard's runs and history pages, all offline."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from training.settings import Settings, get_settings

log = logging.getLogger(__name__)


SITE_NAME = "local_site"


def suite_page(site: Path, suite: str) -> Path:
    """Where GX's site writes a suite's page (a dotted name is a folder path)."""
    *folders, last = suite.split(".")
    return site.joinpath("expectations", *folders, f"{last}.html")


def finish_site(settings: Settings, pages: Iterable[Path] | None = None, site: Path | None = None) -> None:
    """After GX wrote pages: trainguard's pages, then rewrite ``pages`` (default all) offline.

    ``site`` is where the files are now (a staging folder during a full build); links are
    computed for the site's final place, ``settings.data_docs_dir``.
    """
    from training.quality.offline import make_offline
    from training.quality.site_pages import write_site_pages
    from training.warehouse.engine import get_engine

    site = site or settings.data_docs_dir
    write_site_pages(site, get_engine(settings.warehouse_url), settings.gx_root, final_site=settings.data_docs_dir)
    todo = None if pages is None else list(dict.fromkeys([*pages, site / "index.html"]))
    unknown = make_offline(site, todo)
    if unknown:
        log.warning("Data Docs refer to resources outside the site: %s", ", ".join(unknown))


def build_docs(settings: Settings | None = None) -> Path:
    """Rebuild the whole site from the stored suites and validation results; returns index.html.

    The site is built in a staging folder and swapped in when complete, so an interrupted build
    leaves the previous site browsable.
    """
    import copy
    import os
    import shutil
    import tempfile

    from training.quality.context import open_context

    settings = settings or get_settings()
    site = settings.data_docs_dir
    site.parent.mkdir(parents=True, exist_ok=True)
    # Unique folders: a build from the CLI and one from Airflow at the same moment do not
    # delete each other's work; the last swap wins, and each swap installs a complete site.
    staging = Path(tempfile.mkdtemp(prefix=f".{site.name}.staging-", dir=site.parent))
    context = open_context(settings)
    # Point the site at the staging folder for this build only; great_expectations.yml is not saved.
    sites = copy.deepcopy(context.variables.data_docs_sites)
    sites[SITE_NAME]["store_backend"]["base_directory"] = os.path.relpath(staging, settings.gx_root) + "/"
    context.variables.data_docs_sites = sites
    try:
        context.build_data_docs(site_names=[SITE_NAME])
        finish_site(settings, site=staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = Path(tempfile.mkdtemp(prefix=f".{site.name}.old-", dir=site.parent))
    if site.exists():
        site.rename(old / site.name)
    staging.rename(site)
    shutil.rmtree(old, ignore_errors=True)
    return site / "index.html"
