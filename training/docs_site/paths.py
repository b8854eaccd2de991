"""Where things are in the Data Docs site (no GX import: the CLI and pages use it too)."""

from __future__ import annotations

from pathlib import Path

SITE_NAME = "local_site"


def suite_page(site: Path, suite: str) -> Path:
    """Where GX's site writes a suite's page (a dotted name is a folder path)."""
    *folders, last = suite.split(".")
    return site.joinpath("expectations", *folders, f"{last}.html")
