"""Where things are in the Data Docs site (no GX import: the CLI and pages use it too)."""

from __future__ import annotations

from pathlib import Path

SITE_NAME = "local_site"
# The block a validation page with failed expectations leads with; links open pages there.
FAILED_ANCHOR = "failed-expectations"
PAGE_MARKER = "<!-- trainguard-header -->"


def suite_page(site: Path, suite: str) -> Path:
    """Where GX's site writes a suite's page (a dotted name is a folder path)."""
    *folders, last = suite.split(".")
    return site.joinpath("expectations", *folders, f"{last}.html")


def failures_anchor(page: Path) -> str:
    """``#failed-expectations`` when ``page`` lists failed expectations (a failed validation, or
    one that passed with warnings), else ``""``: a link then opens the page on its failures."""
    try:
        text = page.read_text(encoding="utf-8")
    except (OSError, UnicodeError):
        return ""
    return f"#{FAILED_ANCHOR}" if f'id="{FAILED_ANCHOR}"' in text else ""
