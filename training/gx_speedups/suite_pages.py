"""Render a suite's Data Docs page when the suite changed, not after every validation of it.

GX's docs action renders, after each validation, the validation's page and the page of its
suite: 0.07 s for an 80-expectation suite, more than the validation's own page, although a
validation never changes its suite. For each site and suite, the fingerprint of what the page
was rendered from is kept in ``uncommitted/trainguard_suite_pages.json`` of the GX project: the
suite's stored JSON, GX's version (its page renderers and templates) and the source of
trainguard's own renderers (``RENDERER_INPUTS``: the custom expectations' renderers and the
site modules that rewrite the page), hashed once per process. Editing a renderer, also in an
editable install whose version never changes, renders the pages again. The action skips the
suite's page while the page file exists and the fingerprint is unchanged. A site that is not a
local folder always gets the page. ``trainguard docs build`` renders every page whatever this
file says; a lost or unreadable file costs one render per suite.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from training.core.atomic_files import read_json_dict, write_atomically
from training.docs_site.paths import suite_page

log = logging.getLogger(__name__)

FILE_NAME = "trainguard_suite_pages.json"


# Besides the suite and GX, what a suite's page is made from: trainguard's source files (paths
# relative to the ``training`` package; a folder stands for every ``.py`` file below it).
RENDERER_INPUTS: tuple[str, ...] = (
    "checks",  # the custom expectations' prescriptive and observed-value renderers
    "docs_site/offline.py",  # rewrites every page GX writes
    "docs_site/pages.py",
    "docs_site/paths.py",
)
_PACKAGE = Path(__file__).resolve().parent.parent


@functools.cache
def renderer_fingerprint() -> bytes:
    """A hash of GX's version and the source of ``RENDERER_INPUTS`` (once per process)."""
    import great_expectations

    digest = hashlib.sha256(f"great_expectations {great_expectations.__version__}".encode())
    for entry in RENDERER_INPUTS:
        path = _PACKAGE / entry
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(b"\0" + os.path.relpath(file, _PACKAGE).encode() + b"\0")
            try:
                digest.update(file.read_bytes())
            except OSError:  # gone or unreadable: its absence is part of the fingerprint
                digest.update(b"<unreadable>")
    return digest.hexdigest().encode()


def _fingerprint(root: Path, suite: str) -> str | None:
    try:
        stored = (root / "expectations" / f"{suite}.json").read_bytes()
    except OSError:
        return None
    return hashlib.sha256(renderer_fingerprint() + b"\0" + stored).hexdigest()


def site_folder(context: Any, site: str) -> Path | None:
    """Where a site's pages are written, when the site is a local folder."""
    backend = (context.variables.data_docs_sites or {}).get(site, {}).get("store_backend") or {}
    if backend.get("class_name") != "TupleFilesystemStoreBackend" or not backend.get("base_directory"):
        return None
    return Path(context.root_directory) / backend["base_directory"]


def _page(context: Any, site: str, suite: str) -> Path | None:
    folder = site_folder(context, site)
    return None if folder is None else suite_page(folder, suite)


def _record_path(context: Any) -> Path:
    return Path(context.root_directory) / "uncommitted" / FILE_NAME


def site_list(context: Any, site_names: Sequence[str] | None) -> list[str]:
    """The sites a build with ``site_names`` writes (GX's default: all of them)."""
    return list(site_names or (context.variables.data_docs_sites or {}))


def _current(context: Any, sites: list[str], suite: str, found: str | None, rendered: dict[str, str]) -> bool:
    pages = [(site, _page(context, site, suite)) for site in sites]
    return (
        found is not None
        and bool(pages)
        and all(
            page is not None and page.is_file() and rendered.get(f"{site}/{suite}") == found for site, page in pages
        )
    )


def pages_to_render(
    context: Any, site_names: Sequence[str] | None, identifiers: Sequence[Any]
) -> tuple[list[Any], dict[str, str | None]]:
    """``identifiers`` without the suites whose pages are current in every site to build, and
    the fingerprints of the suites left in (taken now: a suite saved during the build is
    rendered again next time)."""
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    sites = site_list(context, site_names)
    rendered = read_json_dict(_record_path(context))
    root = Path(context.root_directory)
    todo, fingerprints = [], {}
    for identifier in identifiers:
        if isinstance(identifier, ExpectationSuiteIdentifier):
            found = _fingerprint(root, identifier.name)
            if _current(context, sites, identifier.name, found, rendered):
                continue
            fingerprints[identifier.name] = found
        todo.append(identifier)
    return todo, fingerprints


def remember_rendered(context: Any, site_names: Sequence[str] | None, fingerprints: dict[str, str | None]) -> None:
    """Record that the suites' pages were rendered, in every site just built, from ``fingerprints``."""
    if not fingerprints:
        return
    path = _record_path(context)
    rendered = read_json_dict(path)
    for suite, found in fingerprints.items():
        for site in site_list(context, site_names):
            if found is None:
                rendered.pop(f"{site}/{suite}", None)
            else:
                rendered[f"{site}/{suite}"] = found
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps(rendered, indent=1, sort_keys=True))
    except OSError:
        log.warning("could not save the rendered suite pages to %s", path, exc_info=True)
