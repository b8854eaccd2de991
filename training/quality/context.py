"""The single way to open the GX file context.

Custom expectations and actions are imported *before* the context loads any suite: GX drops
unknown expectation types from a suite with only a log line, and the next save would write the
suite without them. The context root is always passed as an absolute path, because
``gx.get_context()`` without one silently falls back to an empty in-memory context.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from training.errors import TrainguardError
from training.settings import Settings, get_settings

if TYPE_CHECKING:
    from great_expectations.data_context import FileDataContext


def register_extensions() -> None:
    """Import every module that registers custom GX expectations, metrics and actions."""
    import training.quality.actions
    import training.quality.expectations  # noqa: F401


def open_context(settings: Settings | None = None) -> FileDataContext:
    """Open the file context at ``settings.gx_root`` with trainguard's extensions registered."""
    settings = settings or get_settings()
    root = settings.gx_root
    if not (root / "great_expectations.yml").is_file():
        raise TrainguardError(f"no GX project at {root} (great_expectations.yml is missing)")
    _quiet_gx_logs()
    register_extensions()
    import great_expectations as gx

    # great_expectations.yml names the warehouse as ${TRAINGUARD_WAREHOUSE_URL}; the value comes
    # from settings so that credentials are never written into the committed config.
    return gx.get_context(
        mode="file",
        context_root_dir=str(root),
        runtime_environment={"TRAINGUARD_WAREHOUSE_URL": settings.warehouse_url},
    )


def _quiet_gx_logs() -> None:
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
