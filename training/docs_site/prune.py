"""Retention for the Data Docs audit trail: drop validation results (and their pages) older than
a cutoff, then rebuild the index from what is left. The outcome rows in the warehouse stay."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from training.core.errors import TrainguardError
from training.core.settings import Settings, get_settings

_AGE = re.compile(r"^(\d+)([hdw])$")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def parse_age(text: str) -> dt.timedelta:
    """``90d``, ``12w`` or ``36h``."""
    match = _AGE.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise TrainguardError(f"invalid age {text!r}: use a positive number with h, d or w, e.g. 90d")
    return dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def _run_time(folder: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(folder, "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


@dataclass(frozen=True)
class PruneResult:
    results: int
    pages: int
    kept: int


def prune_docs(
    older_than: dt.timedelta, settings: Settings | None = None, now: dt.datetime | None = None
) -> PruneResult:
    """Delete validation results whose run time is older than ``older_than`` and their pages."""
    from training.docs_site import site_dir
    from training.docs_site.build import build_docs

    settings = settings or get_settings()
    cutoff = (now or dt.datetime.now(dt.UTC)) - older_than
    store = settings.gx_root / "uncommitted" / "validations"
    site = settings.data_docs_dir / "validations"
    removed = pages = kept = 0
    # Under the site's lock, as a build: a build running meanwhile would list results deleted here.
    with site_dir.locked(settings.data_docs_dir, exclusive=True):
        for result in sorted(store.rglob("*.json")) if store.is_dir() else []:
            run_time = _run_time(result.parent.name)
            if run_time is None or run_time >= cutoff:
                kept += 1
                continue
            relative = result.relative_to(store).with_suffix(".html")
            result.unlink()
            removed += 1
            page = site / relative
            if page.is_file():
                page.unlink()
                pages += 1
        for root in (store, site):
            _remove_empty_folders(root)
        build_docs(settings)
    return PruneResult(removed, pages, kept)


def _remove_empty_folders(root: Path) -> None:
    if not root.is_dir():
        return
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
