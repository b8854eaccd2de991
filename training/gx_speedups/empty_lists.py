"""No query for unexpected values that are known to be none.

For each column map expectation (not null, in set, between, ...) GX asks for the column's
``unexpected_values``: ``SELECT x FROM (day) WHERE <unexpected> LIMIT n``, one statement per
check (about twenty for a day's suite) after the bundled query that already counted those rows.
With GX's default ``n`` of 20 a passing check has no such row, so PostgreSQL reads the whole day
to find none; with ``n`` 0 (trainguard's checkpoints) the statement returns nothing but is still
built, compiled and sent. The count and the list come from the same ``unexpected_condition``
metric, so a count of 0 means the list is empty, and so does a limit of 0.

``install()`` changes two GX internals, both only inside ``registry.active()`` and only on a SQL
engine:
- a column map metric's ``unexpected_values`` also depends on its ``unexpected_count`` (the
  metric the expectation already asks for, same kwargs without ``result_format``), so the count
  is known first: it is computed in the bundled query, as before;
- GX's SQL function for ``unexpected_values`` returns ``[]`` without a query when that count is
  exactly 0, or when the result format is not COMPLETE and ``partial_unexpected_count`` is 0
  (GX's ``LIMIT 0``). Anything else (a count of None on a batch without rows, a count above 0,
  COMPLETE) runs GX's query as it is.
"""

from __future__ import annotations

import functools
from typing import Any

from training.gx_speedups.one_bundle import adjust_dependencies
from training.gx_speedups.registry import is_active

_VALUES = ".unexpected_values"
_COUNT = ".unexpected_count"
_DEPENDENCY = "trainguard_unexpected_count"
_SQL_ENGINE = "SqlAlchemyExecutionEngine"


@functools.cache
def install() -> None:
    _count_before_values()
    _no_query_when_none()


def _count_before_values() -> None:
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine
    from great_expectations.expectations.metrics.map_metric_provider import ColumnMapMetricProvider
    from great_expectations.validator.metric_configuration import MetricConfiguration

    def with_count(metric: Any, execution_engine: Any, found: dict) -> None:
        name = metric.metric_name
        if isinstance(execution_engine, SqlAlchemyExecutionEngine) and name.endswith(_VALUES):
            value_kwargs = {k: v for k, v in metric.metric_value_kwargs.items() if k != "result_format"}
            found[_DEPENDENCY] = MetricConfiguration(
                metric_name=name.removesuffix(_VALUES) + _COUNT,
                metric_domain_kwargs=metric.metric_domain_kwargs,
                metric_value_kwargs=value_kwargs,
            )

    adjust_dependencies(ColumnMapMetricProvider, "_get_evaluation_dependencies", with_count)


def _no_query_when_none() -> None:
    from great_expectations.expectations.metrics.map_metric_provider import (
        column_map_condition_auxilliary_methods as aux,
    )
    from great_expectations.expectations.registry import _registered_metrics

    original = aux._sqlalchemy_column_map_condition_values

    @functools.wraps(original)  # keeps GX's function markers (metric_fn_type, ...)
    def values(
        cls: Any,
        execution_engine: Any,
        metric_domain_kwargs: dict,
        metric_value_kwargs: dict,
        metrics: dict,
        **kwargs: Any,
    ) -> list:
        if is_active() and _none_to_list(metrics.get(_DEPENDENCY), metric_value_kwargs.get("result_format")):
            return []
        return original(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, **kwargs)

    for name, definition in _registered_metrics.items():
        if not name.endswith(_VALUES):
            continue
        providers = definition.get("providers", {})
        provider = providers.get(_SQL_ENGINE)
        if provider is not None and provider[1] is original:
            providers[_SQL_ENGINE] = (provider[0], values)


def _none_to_list(count: Any, result_format: Any) -> bool:
    """Whether GX's query would return no row: a count of exactly the integer 0 (a None, a float
    or a Decimal runs the query), or GX's ``LIMIT 0``."""
    if type(count) is int and count == 0:
        return True
    return (
        isinstance(result_format, dict)
        and result_format.get("result_format") != "COMPLETE"
        and type(result_format.get("partial_unexpected_count")) is int
        and result_format["partial_unexpected_count"] == 0
    )
