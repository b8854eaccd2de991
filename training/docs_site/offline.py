"""Make the Data Docs site self-contained: vendored assets instead of CDNs, the local logo
instead of a remote one that carries the data context id, no links out of the site.

GX's templates cannot be overridden, so pages are rewritten after GX writes them. Rewriting is
idempotent and cheap; it runs after every build and after every checkpoint's docs update.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

from training.core.atomic_files import write_atomically

ASSETS = Path(__file__).parent / "assets" / "vendor"
VENDOR_DIR = "static/vendor"

# CDN resource -> file under static/vendor/ (versions as GX 1.24's templates ask for them).
CDN = {
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        "bootstrap-table/bootstrap-table-filter-control.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        "bootstrap-table/bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        "bootstrap-table/bootstrap-table-filter-control.min.css"
    ),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap/bootstrap.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap/bootstrap.min.css",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/jquery-3.7.1.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper/popper.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "fontawesome/css/all.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap-datepicker/bootstrap-datepicker.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap-datepicker/bootstrap-datepicker.min.css"
    ),
    "https://cdn.jsdelivr.net/npm/vega@5": "vega/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega/vega-embed.min.js",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        "bootstrap-dark/bootstrap-prefers-dark.css"
    ),
}
_URL = re.compile(r"""https?://[^\s"'<>)]+""")
_REMOTE_LOGO = "great-expectations-web-assets.s3"
_GX_SITE = "greatexpectations.io"


def _relative(page: Path, site: Path, target: str) -> str:
    return Path(os.path.relpath(site / target, page.parent)).as_posix()


def _rewrite(text: str, page: Path, site: Path) -> tuple[str, list[str]]:
    unknown: list[str] = []

    def replace(match: re.Match) -> str:
        url = match.group(0)
        if url in CDN:
            return _relative(page, site, f"{VENDOR_DIR}/{CDN[url]}")
        if _REMOTE_LOGO in url:
            return _relative(page, site, "static/images/logo-long.png")
        if _GX_SITE in url:
            return "#"
        unknown.append(url)
        return url

    return _URL.sub(replace, text), unknown


def install_assets(site: Path) -> None:
    """Copy the vendored assets into the site (once; cheap to repeat)."""
    target = site / VENDOR_DIR
    if not (target / "jquery").is_dir():
        shutil.copytree(ASSETS, target, dirs_exist_ok=True)


def make_offline(site: Path, pages: Iterable[Path] | None = None) -> list[str]:
    """Rewrite ``pages`` (default: every page of the site) to use only files inside ``site``.

    Returns resource URLs that could not be localised (an empty list is the goal; the tests
    require it). Pages are replaced atomically, so a reader never sees half a page.
    """
    if not site.is_dir():
        return []
    install_assets(site)
    unknown: list[str] = []
    for page in pages if pages is not None else site.rglob("*.html"):
        if not page.is_file():
            continue
        text = page.read_text(encoding="utf-8")
        if "http" not in text:
            continue
        new, missing = _rewrite(text, page, site)
        unknown += missing
        if new != text:
            write_atomically(page, new)
    return sorted(set(unknown))
