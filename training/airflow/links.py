"""The "Data Docs" button on validation tasks: opens the validation page of that run.

Airflow 3 resolves operator links when the task finishes, on the worker, with the operator
instance that ran; the operator stores its page there. Pages are served by
``trainguard docs serve`` (``TRAINGUARD_DOCS_HOST``/``TRAINGUARD_DOCS_PORT``).
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperatorLink


class DataDocsLink(BaseOperatorLink):
    name = "Data Docs"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        return getattr(operator, "data_docs_url", None) or ""


def docs_url(page: str | None) -> str | None:
    """The served URL of a ``file://`` Data Docs page inside the site folder, else None; a page
    with failed expectations opens on them."""
    from pathlib import Path

    from training.core.settings import get_settings
    from training.docs_site.paths import failures_anchor

    if not page or not page.startswith("file://"):
        return None
    settings = get_settings()
    try:
        relative = Path(page.removeprefix("file://")).resolve().relative_to(settings.data_docs_dir.resolve())
    except ValueError:
        return None
    return f"{settings.docs_url}/{relative.as_posix()}{failures_anchor(settings.data_docs_dir / relative)}"
