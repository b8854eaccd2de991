"""Building the whole Data Docs site: GX's pages, trainguard's runs and history pages, offline."""

from __future__ import annotations

from pathlib import Path

from training.core.settings import Settings, get_settings
from training.docs_site.finish import finish_site
from training.docs_site.paths import SITE_NAME


def build_docs(settings: Settings | None = None) -> Path:
    """Rebuild the whole site from the stored suites and validation results; returns index.html.

    The site is built in a staging folder and swapped in when complete, so an interrupted build
    leaves the previous site browsable.
    """
    import copy
    import os
    import shutil
    import tempfile

    from training.gx.context import open_context

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
