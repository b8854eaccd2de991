"""Put every aggregate metric of a SQL batch into one bundled query.

GX computes the aggregate metrics (means, minimums, null counts, our drift and quantile counts)
of one batch in a single SELECT, but only those that become ready in the same round of its
metric graph. In GX 1.24 a day's suite took three scans of the day where one does: row-level
unexpected counts (nulls, value sets, ranges) were ready a round after the column aggregates,
and the standard deviation two rounds later still, because on every SQL dialect it waits for
the mean and the null count that only SQLite's two-pass formula uses. The row count was a
query of its own, because every column metric of GX, even the partial aggregates that only
write SQL, waits for it.

``install()`` changes these things, each a wrapper on a GX internal (GX is pinned):
- when the graph resolver asks a SQL engine for a round of ready metrics, the aggregates wait
  while any other metric is in the round, so that they meet in one round and GX bundles them
  into one query;
- ``column.standard_deviation`` depends on the mean and null count only on SQLite;
- on a SQL engine, the row count is one more column of the bundled query: a metric that GX
  computes in the bundle (its value comes from a partial aggregate) and the partial aggregates
  and row conditions themselves (they only write SQL) do not wait for ``table.row_count``.
  Metrics with a function of their own (non-null proportion, median, ...) still do;
- the bucket sums of one column (``packed.span_counts``) are written over the bounds of all the
  graph's bucket-counting metrics on it, so that PostgreSQL computes one sum per column;
- row-level unexpected counts are ``count(*) FILTER (WHERE ...)`` on PostgreSQL and SQLite
  (GX writes ``sum(CASE ...)``, about twice as slow on PostgreSQL), NULL on a batch without rows
  as GX's sum is. On PostgreSQL, a range check with finite numeric bounds on a floating-point
  or integer column and a value set on a text column that a drift check counts as its
  categories are read from the column's bucket sum instead (the buckets below and above the
  range, the drift check's "other" bucket): no comparison of their own per row. Only where the
  buckets compare as GX does: doubles as doubles, integers as integers with cuts below 2**52
  (``bucket_sums``); NUMERIC columns, and BIGINT columns with larger bounds, keep GX's exact
  comparisons.

Every wrapper takes its fast path only inside ``registry.active()`` (trainguard's runner);
elsewhere it calls GX's original. GX's means and standard deviations are left as GX computes
them: in ``numeric`` for integer columns on PostgreSQL, whose rounding a ``double precision``
computation would not reproduce (and Python compares a ``Decimal`` with the bounds exactly).
"""

from __future__ import annotations

import contextvars
import functools
import math
from typing import Any

from great_expectations.compatibility.sqlalchemy import sqlalchemy as sa
from great_expectations.expectations.registry import get_metric_provider

from training.checks.data import bucket_sums as packed
from training.gx_speedups.registry import is_active

_UNEXPECTED_COUNT_PARTIAL = ".unexpected_count.aggregate_fn"
_BETWEEN = "column_values.between.unexpected_count"
_SQL_PARTIALS = (".aggregate_fn", ".condition")
_HOLDING: contextvars.ContextVar[bool] = contextvars.ContextVar("trainguard_hold_aggregates", default=False)


@functools.cache
def install() -> None:
    """Install the wrappers once per process."""
    _defer_aggregates()
    _stddev_without_mean()
    _row_count_bundled()
    _filtered_unexpected_counts()


def _defer_aggregates() -> None:
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine
    from great_expectations.validator.validation_graph import ValidationGraph

    resolve_graph = ValidationGraph._resolve
    resolve = SqlAlchemyExecutionEngine.resolve_metrics

    def _resolve(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not is_active():
            return resolve_graph(self, *args, **kwargs)
        token = _HOLDING.set(True)
        try:
            with packed.sharing(_span_metrics(self)):
                return resolve_graph(self, *args, **kwargs)
        finally:
            _HOLDING.reset(token)

    def resolve_metrics(
        self: Any, metrics_to_resolve: Any, metrics: dict | None = None, runtime_configuration: dict | None = None
    ) -> dict:
        if not is_active():
            return resolve(self, metrics_to_resolve, metrics, runtime_configuration)
        # Only the graph resolver's own calls hold back; the ready set it computes next still
        # holds the aggregates left out here, so its retry and stop rules see every metric.
        holding = _HOLDING.get()
        token = _HOLDING.set(False)
        metrics_to_resolve = list(metrics_to_resolve)
        try:
            if holding:
                others = [m for m in metrics_to_resolve if not _computed_in_bundle(m.metric_name, self)]
                if others:
                    metrics_to_resolve = others
            resolved = resolve(self, metrics_to_resolve, metrics, runtime_configuration)
        finally:
            _HOLDING.reset(token)
        # Unexpected counts read from a bucket sum arrive packed; GX expects a number.
        for metric in metrics_to_resolve:
            value = resolved.get(metric.id)
            if metric.metric_name.endswith(".unexpected_count") and isinstance(value, str):
                resolved[metric.id] = sum(packed.unpack(value))
        return resolved

    ValidationGraph._resolve = _resolve
    SqlAlchemyExecutionEngine.resolve_metrics = resolve_metrics


def _computed_in_bundle(name: str, execution_engine: Any) -> bool:
    """Whether GX computes metric ``name`` in a bundled query: such a metric has no function of
    its own, only a partial aggregate it depends on (GX's protocol)."""
    return get_metric_provider(name, execution_engine)[1] is None


def _span_metrics(graph: Any) -> list[tuple[str, str, dict]]:
    """(metric name, column, value kwargs) of the graph's bucket and category counting metrics."""
    found = []
    for edge in graph.edges:
        for metric in (edge.left, edge.right):
            name = metric.metric_name.removesuffix(".aggregate_fn") if metric is not None else ""
            if name in packed.SPAN_METRICS or name in packed.CATEGORY_METRICS:
                column = metric.metric_domain_kwargs.get("column")
                found.append((name, str(column), dict(metric.metric_value_kwargs or {})))
    return found


def adjust_dependencies(owner: Any, attribute: str, adjust: Any) -> None:
    """Wrap the dependencies classmethod ``attribute`` of metric provider ``owner``: inside
    ``active()``, ``adjust(metric, execution_engine, found)`` may change the dependencies
    ``found`` (a dict of name -> metric configuration) before GX uses them."""
    dependencies = getattr(owner, attribute).__func__

    def adjusted(
        cls: Any,
        metric: Any,
        configuration: Any = None,
        execution_engine: Any = None,
        runtime_configuration: Any = None,
    ) -> dict:
        found = dependencies(cls, metric, configuration, execution_engine, runtime_configuration)
        if is_active():
            adjust(metric, execution_engine, found)
        return found

    setattr(owner, attribute, classmethod(adjusted))


def _without_dependencies(owner: Any, attribute: str, unneeded: Any) -> None:
    """``adjust_dependencies`` that leaves out the names ``unneeded(metric, execution_engine)`` returns."""

    def leave_out(metric: Any, execution_engine: Any, found: dict) -> None:
        for name in unneeded(metric, execution_engine):
            found.pop(name, None)

    adjust_dependencies(owner, attribute, leave_out)


def _stddev_without_mean() -> None:
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine
    from great_expectations.expectations.metrics.column_aggregate_metrics.column_standard_deviation import (
        ColumnStandardDeviation,
    )

    def unneeded(metric: Any, execution_engine: Any) -> tuple[str, ...]:
        if isinstance(execution_engine, SqlAlchemyExecutionEngine) and execution_engine.dialect_name != "sqlite":
            return ("column.mean", "column_values.null.unexpected_count")
        return ()

    _without_dependencies(ColumnStandardDeviation, "_get_evaluation_dependencies", unneeded)


def _row_count_bundled() -> None:
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine
    from great_expectations.expectations.metrics.metric_provider import MetricProvider

    def unneeded(metric: Any, execution_engine: Any) -> tuple[str, ...]:
        if isinstance(execution_engine, SqlAlchemyExecutionEngine):
            name = metric.metric_name
            if name.endswith(_SQL_PARTIALS) or _computed_in_bundle(name, execution_engine):
                return ("table.row_count",)
        return ()

    _without_dependencies(MetricProvider, "get_evaluation_dependencies", unneeded)


def _filtered_unexpected_counts() -> None:
    from great_expectations.core.metric_function_types import MetricPartialFunctionTypes
    from great_expectations.expectations.metrics.map_metric_provider import map_condition_auxilliary_methods as aux
    from great_expectations.expectations.registry import _registered_metrics

    original = aux._sqlalchemy_map_condition_unexpected_count_aggregate_fn

    def unexpected_count(
        cls: Any,
        execution_engine: Any,
        metric_domain_kwargs: dict,
        metric_value_kwargs: dict,
        metrics: dict,
        **kwargs: Any,
    ) -> tuple:
        if not is_active():
            return original(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, **kwargs)
        condition, compute_domain_kwargs, accessor_domain_kwargs = metrics["unexpected_condition"]
        dialect = execution_engine.engine.dialect
        count = _from_bucket_sums(cls, metric_value_kwargs, accessor_domain_kwargs, metrics, dialect)
        if count is None:
            count = _filtered_count(condition, dialect)
        # GX's sum(CASE ...) is NULL on a batch without rows: keep its None.
        return _none_without_rows(count), compute_domain_kwargs, accessor_domain_kwargs

    unexpected_count.metric_fn_type = MetricPartialFunctionTypes.AGGREGATE_FN
    for name, definition in _registered_metrics.items():
        if not name.endswith(_UNEXPECTED_COUNT_PARTIAL):
            continue
        providers = definition.get("providers", {})
        for engine_name, (provider_cls, fn) in list(providers.items()):
            if fn is original:
                providers[engine_name] = (provider_cls, unexpected_count)


def _range_spans(value_kwargs: dict) -> list[packed.Span]:
    """A range check's unexpected values as bucket spans: below its minimum, and from its
    maximum up. Empty unless the bounds are finite numbers GX accepts."""
    low, high = value_kwargs.get("min_value"), value_kwargs.get("max_value")
    numbers = [v for v in (low, high) if v is not None]
    if not numbers or not all(type(v) in (int, float) and math.isfinite(v) for v in numbers):
        return []
    if low is not None and high is not None and low > high:
        return []
    below_bound = None if low is None else (float(low), bool(value_kwargs.get("strict_min")))
    above_bound = None if high is None else (float(high), not value_kwargs.get("strict_max"))
    if below_bound and above_bound and packed.edge(below_bound) > packed.edge(above_bound):
        return []  # min == max, both strict: the two spans would count the value on the bound twice
    below: list[packed.Span] = [] if below_bound is None else [(None, below_bound)]
    return below + ([] if above_bound is None else [(above_bound, None)])


def _range_bounds(value_kwargs: dict) -> list[packed.Bound]:
    return [b for span in _range_spans(value_kwargs) for b in span if b is not None]


packed.SPAN_METRICS[_BETWEEN] = _range_bounds


def _from_bucket_sums(cls: Any, value_kwargs: dict, accessor_domain_kwargs: dict, metrics: dict, dialect: Any) -> Any:
    """On PostgreSQL, the unexpected count of a numeric range or of a text value set that a
    drift check also counts, as buckets of the column's shared sum (``packed``); None otherwise.

    GX compares a BIGINT or NUMERIC column with the bounds exactly (2**53 + 1 is above 2**53;
    0.30000000000000001 is above 0.3). The buckets of a floating-point column compare in
    ``double precision``, as GX does; those of an integer column compare as integers with
    integer cuts while every cut is below 2**52 (exact), else as doubles (exact for INTEGER and
    SMALLINT only). NUMERIC columns, and BIGINT columns with larger bounds, keep GX's own
    condition. The categories compare as text, so only a TEXT or VARCHAR column reads its count
    from them."""
    if not packed.sums_on(dialect):
        return None
    name = getattr(cls, "condition_metric_name", "")
    column_name = accessor_domain_kwargs["column"]
    column = sa.column(column_name)
    kind = column_type(metrics, column_name)
    if name == "column_values.in_set" and kind in _TEXT_TYPES:
        return packed.outside_categories(column, list(value_kwargs.get("value_set") or []), dialect)
    spans = _range_spans(value_kwargs) if name == "column_values.between" else []
    if not spans:
        return None
    if kind in _DOUBLE_TYPES:
        return packed.span_counts(column, spans, dialect)
    if kind in _INTEGER_TYPES and (
        kind in _DOUBLE_EXACT_INTEGERS or packed.integer_span_counts_exact(column, spans, dialect)
    ):
        # Integer cuts below 2**52 give GX's exact comparison (a bound of either type): for an
        # integer x, ``x >= v`` exactly when ``x >= ceil(v)``.
        return packed.span_counts(column, spans, dialect, integer=True)
    return None


# PostgreSQL floating-point types: the buckets compare their values as GX's condition does.
_DOUBLE_TYPES = ("DOUBLE_PRECISION", "DOUBLE PRECISION", "FLOAT", "REAL")
# Integer types: their buckets compare as integers (``bucket_sums``: cuts below 2**52) or, for
# those whose every value is an exact double, as doubles; a BIGINT beyond 2**53 is neither.
_INTEGER_TYPES = ("BIGINT", "INTEGER", "SMALLINT")
_DOUBLE_EXACT_INTEGERS = ("INTEGER", "SMALLINT")
# Not CHAR(n): its values compare without their padding, and the category sums compare as text.
_TEXT_TYPES = ("TEXT", "VARCHAR")


def column_type(metrics: dict, column: str) -> str:
    """The column's type name from GX's ``table.column_types`` metric (every column map
    metric depends on it), without a length: ``VARCHAR(20)`` is ``VARCHAR``."""
    for described in metrics.get("table.column_types") or []:
        if described.get("name") == column:
            return str(described.get("type", "")).split("(")[0].strip().upper()
    return ""


def _filtered_count(condition: Any, dialect: Any) -> Any:
    if dialect.name in packed.FILTER_DIALECTS:
        return sa.func.count(sa.literal_column("*")).filter(condition)
    return sa.func.sum(sa.case((condition, 1), else_=0))


def _none_without_rows(count: Any) -> Any:
    return sa.case((sa.func.count(sa.literal_column("*")) > 0, count), else_=sa.null())
