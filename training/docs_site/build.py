"""Building the whole Data Docs site: GX's pages, trainguard's runs and history pages, offline."""

from __future__ import annotations

from pathlib import Path

from training.core.settings import Settings, get_settings
from training.docs_site import site_dir
from training.docs_site.finish import finish_site
from training.docs_site.paths import SITE_NAME


def build_docs(settings: Settings | None = None) -> Path:
    """Rebuild the whole site from the stored suites and validation results; returns index.html.

    The site is built in a new build folder and published by replacing the site's symlink in
    one step (``site_dir.py``), so readers always find a complete site and an interrupted build
    leaves the previous one. Builds that overlap run one after the other (a file lock).
    """
    import copy
    import os
    import shutil

    from training.core.settings import use_settings
    from training.gx import hooks
    from training.gx.context import open_context

    settings = settings or get_settings()
    site = settings.data_docs_dir
    context = open_context(settings)  # before the lock: loading GX is most of a small build
    with use_settings(settings), site_dir.locked(site, exclusive=True):
        build = site_dir.new_build(site)
        try:
            # Point the site at the new build for this build only; great_expectations.yml is not saved.
            sites = copy.deepcopy(context.variables.data_docs_sites)
            sites[SITE_NAME]["store_backend"]["base_directory"] = os.path.relpath(build, settings.gx_root) + "/"
            context.variables.data_docs_sites = sites
            with hooks.entered(hooks.around_gx):
                context.build_data_docs(site_names=[SITE_NAME])
            finish_site(settings, site=build)
            site_dir.publish(site, build)
        except BaseException:
            if site_dir.current_build(site) != build.resolve():
                shutil.rmtree(build, ignore_errors=True)
            raise
    return site / "index.html"
