"""Render a suite's Data Docs page when the suite changed, not after every validation of it.

GX's docs action renders, after each validation, the validation's page and the page of its
suite: 0.07 s for an 80-expectation suite, more than the validation's own page, although a
validation never changes its suite. For each site and suite, the fingerprint of what the page
was rendered from (the suite's stored JSON and the versions of GX and trainguard, whose
renderers write it) is kept in ``uncommitted/trainguard_suite_pages.json`` of the GX project.
The action skips the suite's page while the page file exists and the fingerprint is unchanged.
A site that is not a local folder always gets the page. ``trainguard docs build`` renders every
page whatever this file says; a lost or unreadable file costs one render per suite.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from training.core.atomic_files import read_json_dict, write_atomically
from training.docs_site.paths import suite_page

log = logging.getLogger(__name__)

FILE_NAME = "trainguard_suite_pages.json"


@functools.cache
def _versions() -> bytes:
    import great_expectations

    return f"{great_expectations.__version__}|{metadata.version('trainguard')}".encode()


def _fingerprint(root: Path, suite: str) -> str | None:
    try:
        stored = (root / "expectations" / f"{suite}.json").read_bytes()
    except OSError:
        return None
    return hashlib.sha256(_versions() + b"\0" + stored).hexdigest()


def _page(context: Any, site: str, suite: str) -> Path | None:
    backend = (context.variables.data_docs_sites or {}).get(site, {}).get("store_backend") or {}
    if backend.get("class_name") != "TupleFilesystemStoreBackend" or not backend.get("base_directory"):
        return None
    return suite_page(Path(context.root_directory) / backend["base_directory"], suite)


def _record_path(context: Any) -> Path:
    return Path(context.root_directory) / "uncommitted" / FILE_NAME


def _sites(context: Any, site_names: Sequence[str] | None) -> list[str]:
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

    sites = _sites(context, site_names)
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
        for site in _sites(context, site_names):
            if found is None:
                rendered.pop(f"{site}/{suite}", None)
            else:
                rendered[f"{site}/{suite}"] = found
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps(rendered, indent=1, sort_keys=True))
    except OSError:
        log.warning("could not save the rendered suite pages to %s", path, exc_info=True)
