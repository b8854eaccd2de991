"""Put every aggregate metric of a SQL batch into one bundled query.

GX computes the aggregate metrics (means, minimums, null counts, our drift and quantile counts)
of one batch in a single SELECT, but only those that become ready in the same round of its
metric graph. In GX 1.24 a day's suite took three scans of the day where one does: row-level
unexpected counts (nulls, value sets, ranges) were ready a round after the column aggregates,
and the standard deviation two rounds later still, because on every SQL dialect it waits for
the mean and the null count that only SQLite's two-pass formula uses. (The row count stays a
query of its own: every column metric of GX depends on it.)

``install()`` changes five things, each a wrapper on a GX internal (GX is pinned):
- when the graph resolver asks a SQL engine for a round of ready metrics, the aggregates wait
  while any other metric is in the round, so that they meet in one round and GX bundles them
  into one query;
- ``column.standard_deviation`` depends on the mean and null count only on SQLite;
- the bucket sums of one column (``packed.span_counts``) are written over the bounds of all the
  graph's bucket-counting metrics on it, so that PostgreSQL computes one sum per column;
- row-level unexpected counts are ``count(*) FILTER (WHERE ...)`` on PostgreSQL and SQLite
  (GX writes ``sum(CASE ...)``, about twice as slow on PostgreSQL);
- on PostgreSQL the mean and the standard deviation are computed in ``double precision``. GX
  writes ``avg(1.0 * x)`` and ``stddev_samp(x)``, which PostgreSQL computes in ``numeric`` for an
  integer column: twice as slow, and GX serializes each ``Decimal`` result with an inspection of
  the whole call stack (tens of milliseconds each).
"""

from __future__ import annotations

import contextvars
import functools
from typing import Any

from training.quality.expectations import packed
from training.quality.expectations.packed import count_if

_UNEXPECTED_COUNT_PARTIAL = ".unexpected_count.aggregate_fn"
_FLOAT_MOMENTS = {"column.mean.aggregate_fn": "avg", "column.standard_deviation.aggregate_fn": "stddev_samp"}
_HOLDING: contextvars.ContextVar[bool] = contextvars.ContextVar("trainguard_hold_aggregates", default=False)


@functools.cache
def install() -> None:
    """Install the wrappers once per process."""
    _defer_aggregates()
    _stddev_without_mean()
    _filtered_unexpected_counts()
    _float_moments()


def _defer_aggregates() -> None:
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine
    from great_expectations.expectations.registry import get_metric_provider
    from great_expectations.validator.validation_graph import ValidationGraph

    resolve_graph = ValidationGraph._resolve
    resolve = SqlAlchemyExecutionEngine.resolve_metrics

    def _resolve(self: Any, *args: Any, **kwargs: Any) -> Any:
        token = _HOLDING.set(True)
        try:
            with packed.sharing(_span_metrics(self)):
                return resolve_graph(self, *args, **kwargs)
        finally:
            _HOLDING.reset(token)

    def resolve_metrics(
        self: Any, metrics_to_resolve: Any, metrics: dict | None = None, runtime_configuration: dict | None = None
    ) -> dict:
        # Only the graph resolver's own calls hold back; the ready set it computes next still
        # holds the aggregates left out here, so its retry and stop rules see every metric.
        holding = _HOLDING.get()
        token = _HOLDING.set(False)
        try:
            if holding:
                ready = list(metrics_to_resolve)
                # A bundled aggregate has no metric function of its own, only a partial (GX's protocol).
                others = [m for m in ready if get_metric_provider(m.metric_name, self)[1] is not None]
                if others:
                    metrics_to_resolve = others
            return resolve(self, metrics_to_resolve, metrics, runtime_configuration)
        finally:
            _HOLDING.reset(token)

    ValidationGraph._resolve = _resolve
    SqlAlchemyExecutionEngine.resolve_metrics = resolve_metrics


def _span_metrics(graph: Any) -> list[tuple[str, str, dict]]:
    """(metric name, column, value kwargs) of the graph's bucket-counting metrics."""
    found = []
    for edge in graph.edges:
        for metric in (edge.left, edge.right):
            name = metric.metric_name.removesuffix(".aggregate_fn") if metric is not None else ""
            if name in packed.SPAN_METRICS:
                column = metric.metric_domain_kwargs.get("column")
                found.append((name, str(column), dict(metric.metric_value_kwargs or {})))
    return found


def _stddev_without_mean() -> None:
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine
    from great_expectations.expectations.metrics.column_aggregate_metrics.column_standard_deviation import (
        ColumnStandardDeviation,
    )

    dependencies = ColumnStandardDeviation._get_evaluation_dependencies.__func__

    def _get_evaluation_dependencies(
        cls: Any,
        metric: Any,
        configuration: Any = None,
        execution_engine: Any = None,
        runtime_configuration: Any = None,
    ) -> dict:
        found = dependencies(cls, metric, configuration, execution_engine, runtime_configuration)
        if isinstance(execution_engine, SqlAlchemyExecutionEngine) and execution_engine.dialect_name != "sqlite":
            found.pop("column.mean", None)
            found.pop("column_values.null.unexpected_count", None)
        return found

    ColumnStandardDeviation._get_evaluation_dependencies = classmethod(_get_evaluation_dependencies)


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
        condition, compute_domain_kwargs, accessor_domain_kwargs = metrics["unexpected_condition"]
        return count_if(condition, execution_engine.engine.dialect), compute_domain_kwargs, accessor_domain_kwargs

    unexpected_count.metric_fn_type = MetricPartialFunctionTypes.AGGREGATE_FN
    for name, definition in _registered_metrics.items():
        if not name.endswith(_UNEXPECTED_COUNT_PARTIAL):
            continue
        providers = definition.get("providers", {})
        for engine_name, (provider_cls, fn) in list(providers.items()):
            if fn is original:
                providers[engine_name] = (provider_cls, unexpected_count)


def _float_moments() -> None:
    from great_expectations.compatibility.sqlalchemy import sqlalchemy as sa
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine
    from great_expectations.expectations.registry import _registered_metrics

    for name, function in _FLOAT_MOMENTS.items():
        providers = _registered_metrics[name]["providers"]
        provider_cls, original = providers[SqlAlchemyExecutionEngine.__name__]

        def in_double_precision(
            cls: Any, execution_engine: Any, *args: Any, _original: Any = original, _name: str = function, **kwargs: Any
        ) -> tuple:
            aggregate, compute_domain_kwargs, accessor_domain_kwargs = _original(cls, execution_engine, *args, **kwargs)
            if execution_engine.dialect_name == "postgresql":
                value = sa.cast(sa.column(accessor_domain_kwargs["column"]), sa.Float)
                aggregate = getattr(sa.func, _name)(value)
            return aggregate, compute_domain_kwargs, accessor_domain_kwargs

        in_double_precision.metric_fn_type = original.metric_fn_type
        providers[SqlAlchemyExecutionEngine.__name__] = (provider_cls, in_double_precision)
