"""Building the Data Docs site."""

from __future__ import annotations

from pathlib import Path

from training.settings import Settings, get_settings


def build_docs(settings: Settings | None = None) -> Path:
    """Rebuild the whole site from the stored suites and validation results; returns index.html."""
    from training.quality.context import open_context

    settings = settings or get_settings()
    open_context(settings).build_data_docs()
    return settings.data_docs_dir / "index.html"
