"""The single way to open the GX file context.

Custom expectations and actions (registered by ``training/extensions.py`` through
``hooks.install_extensions``) are imported *before* the context loads any suite: GX drops
unknown expectation types from a suite with only a log line, and the next save would write the
suite without them. The context root is always passed as an absolute path, because
``gx.get_context()`` without one silently falls back to an empty in-memory context.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from training.core.errors import InvalidProjectFileError, TrainguardError
from training.core.settings import Settings, get_settings
from training.gx import hooks

if TYPE_CHECKING:
    from great_expectations.data_context import FileDataContext


def open_context(settings: Settings | None = None) -> FileDataContext:
    """Open the file context at ``settings.gx_root`` with trainguard's extensions registered."""
    settings = settings or get_settings()
    root = settings.gx_root
    if not (root / "great_expectations.yml").is_file():
        raise TrainguardError(f"no GX project at {root} (great_expectations.yml is missing)")
    _quiet_gx_logs()
    hooks.install_extensions()
    import great_expectations as gx

    # great_expectations.yml names the warehouse as ${TRAINGUARD_WAREHOUSE_URL}; the value comes
    # from settings so that credentials are never written into the committed config.
    context = gx.get_context(
        mode="file",
        context_root_dir=str(root),
        runtime_environment={"TRAINGUARD_WAREHOUSE_URL": settings.warehouse_url},
    )
    for opened in hooks.after_open:
        opened()
    return context


def _quiet_gx_logs() -> None:
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


def check_suites_complete(context: FileDataContext, names: tuple[str, ...] | list[str]) -> None:
    """Raise unless every expectation stored in each suite's JSON was loaded by GX.

    GX logs and skips expectation types it does not know (a custom expectation whose module was
    not imported, a typo); running such a suite would silently check less than it says.
    """
    from collections import Counter

    from training.gx.catalog import suite_expectation_types

    root = Path(context.root_directory)
    for name in names:
        stored = Counter(suite_expectation_types(root, name))
        suite = _load_suite(context, root, name)
        loaded = Counter(e.expectation_type for e in suite.expectations)
        missing = stored - loaded
        if missing:
            raise TrainguardError(
                f"suite {name!r} uses expectation types that are not registered: {', '.join(sorted(missing))} "
                "(is the module defining them imported in training.extensions.install?)"
            )


def _load_suite(context: FileDataContext, root: Path, name: str):
    """The suite ``name``; a hand-edited file GX refuses (a string bound, a row count's
    ``min_value`` above its ``max_value``), or one whose bounds can never hold, is a
    configuration error naming the file, not a crash or a failed day."""
    path = root / "expectations" / f"{name}.json"
    try:
        suite = context.suites.get(name)
    except Exception as exc:  # pydantic's ValidationError and GX's own errors, over many lines
        raise InvalidProjectFileError(f"invalid suite {path}: {_first_line(exc)}") from exc
    for index, expectation in enumerate(suite.expectations):
        low, high = getattr(expectation, "min_value", None), getattr(expectation, "max_value", None)
        if _number(low) and _number(high) and low > high:
            column = getattr(expectation, "column", None)
            raise InvalidProjectFileError(
                f"invalid suite {path}: expectation {index} ({expectation.expectation_type}"
                + (f" on {column!r}" if column else "")
                + f") has min_value {low} above max_value {high}"
            )
    return suite


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _first_line(exc: BaseException) -> str:
    """pydantic lists each error over several lines: the model, then field and reason."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if len(lines) >= 3 and "validation error" in lines[0]:
        return f"{lines[0]}: {lines[1]}: {lines[2]}"
    return lines[0] if lines else type(exc).__name__
