"""The speed layer's registry: every wrapper of a GX (or SQLAlchemy) internal, declared once.

Each entry says what it replaces, the versions it was verified on and the test that guards it
(``tests/gx_speedups/test_registry.py`` holds the registry to this: every module of the package
is declared, every guard exists).

Two switches decide whether the layer is used at all, both read when trainguard first opens a
GX context:
- ``TRAINGUARD_GX_SPEEDUPS=off`` runs stock GX on purpose;
- an installed GX or SQLAlchemy version the layer was not verified on runs stock GX and says
  so in one line on stderr: a wrong verdict is never worth the speed.
When the layer is off nothing is wrapped: GX's classes stay as they are.

When it is on, the wrappers are installed once per process but take their fast path only inside
``active()``, which trainguard's runner and site build enter around their GX work; any other
code using GX in the same process gets stock GX unless it enters ``active()`` itself.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import importlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

# The versions every wrapper below was verified on, by the differential test
# (tests/gx_speedups/test_differential.py) and the guards named per wrapper.
VERIFIED: dict[str, tuple[str, ...]] = {
    "great_expectations": ("1.24.1",),
    "sqlalchemy": ("2.1.9",),
}


@dataclass(frozen=True)
class Speedup:
    """One wrapper: the module whose ``install()`` puts it in place, what it replaces, and the
    test that proves it changes no result."""

    module: str
    replaces: str
    guarded_by: str


SPEEDUPS: tuple[Speedup, ...] = (
    Speedup(
        "session_options",
        "SQLAlchemy do_connect event (TRAINGUARD_POSTGRES_OPTIONS on GX's PostgreSQL sessions)",
        "tests/gx_speedups/test_registry.py::test_session_options_only_while_active",
    ),
    Speedup(
        "frozen_startup",
        "gc.freeze() after the first context is opened",
        "tests/gx_speedups/test_registry.py::test_layer_off_leaves_gx_untouched_and_gives_the_same_verdict",
    ),
    Speedup(
        "known_batch",
        "SqlPartitionerColumnValue.param_defaults (the SELECT DISTINCT batch listing)",
        "tests/gx_speedups/test_registry.py::test_known_batch_is_per_table",
    ),
    Speedup(
        "loaded_fresh",
        "Checkpoint.is_fresh, ValidationDefinition.is_fresh",
        "tests/gx_speedups/test_single_scan.py",
    ),
    Speedup(
        "one_bundle",
        "ValidationGraph._resolve, SqlAlchemyExecutionEngine.resolve_metrics, metric dependencies, "
        "SQL unexpected-count partials",
        "tests/gx_speedups/test_differential.py",
    ),
    Speedup(
        "empty_lists",
        "ColumnMapMetricProvider._get_evaluation_dependencies, the SQL function of column map "
        "unexpected_values (no query when the count is 0 or the limit is 0)",
        "tests/gx_speedups/test_differential.py",
    ),
    Speedup(
        "integer_means",
        "the SQL partial of column.mean (avg(1.0 * x) of integer columns on PostgreSQL via psycopg2)",
        "tests/gx_speedups/test_differential.py",
    ),
    Speedup(
        "integer_deviations",
        "the SQL partial of column.standard_deviation (stddev_samp of BIGINT columns on PostgreSQL "
        "as 32-bit sums), SqlAlchemyExecutionEngine.resolve_metrics",
        "tests/gx_speedups/test_differential.py",
    ),
    Speedup(
        "decimal_floats",
        "great_expectations.util.convert_decimal_to_float (its inspect.stack() call)",
        "tests/gx_speedups/test_registry.py::test_decimals_convert_to_the_same_floats_without_a_stack_walk",
    ),
    Speedup(
        "kwargs_once",
        "Expectation._get_domain_kwargs/_get_success_kwargs/_get_success_kwarg, Validator.graph_validate",
        "tests/gx_speedups/test_kwargs_once.py",
    ),
    Speedup("metric_ids", "IDDict.to_id", "tests/gx_speedups/test_metric_ids.py"),
    Speedup(
        "index_once",
        "DataDocsAction._build_data_docs (one index per range run, unchanged suite pages kept)",
        "tests/docs_site/test_docs_index.py",
    ),
    Speedup(
        "index_cache",
        "DefaultSiteIndexBuilder._add_validations_to_index_links",
        "tests/docs_site/test_docs_index.py",
    ),
    Speedup(
        "template_cache", "DefaultJinjaView.__init__ (a shared Jinja bytecode cache)", "tests/docs_site/test_docs.py"
    ),
)
# Helpers of the wrappers above, not wrappers themselves.
HELPERS = ("registry", "suite_pages", "column_partials")

_ACTIVE: contextvars.ContextVar[bool] = contextvars.ContextVar("trainguard_gx_speedups", default=False)
_state: dict[str, Any] = {}


def installed_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in VERIFIED:
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


def unverified(versions: dict[str, str]) -> list[str]:
    """'package version' for each installed version the layer was not verified on."""
    return [f"{p} {v}" for p, v in versions.items() if v not in VERIFIED[p]]


def install(enabled: bool) -> bool:
    """Install the layer once per process if ``enabled`` and the versions are verified; return
    whether it is on. Says in one line on stderr why it is off when a version is the reason."""
    if "on" in _state:
        return _state["on"]
    on = enabled
    if enabled:
        unknown = unverified(installed_versions())
        if unknown:
            on = False
            verified = ", ".join(f"{p} {'/'.join(v)}" for p, v in VERIFIED.items())
            print(
                f"trainguard: GX speed layer off: it was not verified on {', '.join(unknown)} "
                f"(verified: {verified}); running stock GX",
                file=sys.stderr,
            )
    if on:
        for speedup in SPEEDUPS:
            importlib.import_module(f"training.gx_speedups.{speedup.module}").install()
    _state["on"] = on
    return on


def is_on() -> bool:
    """Whether the layer was installed in this process."""
    return bool(_state.get("on"))


@contextlib.contextmanager
def active() -> Iterator[None]:
    """Within this block, the installed wrappers take their fast paths."""
    token = _ACTIVE.set(is_on())
    try:
        yield
    finally:
        _ACTIVE.reset(token)


@contextlib.contextmanager
def inactive() -> Iterator[None]:
    """Within this block, GX's own code runs even inside ``active()`` (a wrapper's fallback)."""
    token = _ACTIVE.set(False)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def is_active() -> bool:
    return _ACTIVE.get()


def patch(owner: Any, attribute: str, fast: Callable[..., Any]) -> Callable[..., Any]:
    """Replace function ``owner.attribute`` with one that calls ``fast`` inside ``active()`` and
    the original everywhere else; return the original (``fast`` usually wraps it)."""
    original = getattr(owner, attribute)  # a plain function (inherited ones too); not for classmethods

    @functools.wraps(original)
    def dispatch(*args: Any, **kwargs: Any) -> Any:
        return (fast if _ACTIVE.get() else original)(*args, **kwargs)

    dispatch.__trainguard_speedup__ = True  # type: ignore[attr-defined]
    setattr(owner, attribute, dispatch)
    return original
