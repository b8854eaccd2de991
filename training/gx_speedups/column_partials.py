"""Rewriting the SQL of one of GX's column aggregate partials, for wrappers that need it.

A column aggregate metric (``column.mean``, ``column.standard_deviation``) has a SQL partial
registered in GX's metric registry that returns ``(expression, compute kwargs, accessor
kwargs)``; the bundled query selects the expression. ``rewrite_partial`` puts a function in
front of it that, inside ``registry.active()``, may return another expression for the column.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from training.gx_speedups.registry import is_active

_SQL_ENGINE = "SqlAlchemyExecutionEngine"


def rewrite_partial(partial: str, rewrite: Callable[[Any, dict, str], Any | None]) -> None:
    """Wrap GX's SQL function of metric ``partial`` (e.g. ``column.mean.aggregate_fn``):
    inside ``active()``, ``rewrite(execution_engine, metrics, column name)`` gives the column's
    expression, or None for GX's own."""
    from great_expectations.expectations.registry import _registered_metrics

    providers = _registered_metrics[partial]["providers"]
    provider_cls, original = providers[_SQL_ENGINE]

    @functools.wraps(original)  # keeps GX's partial-function markers (metric_fn_type, ...)
    def rewritten(
        cls: Any,
        execution_engine: Any,
        metric_domain_kwargs: dict,
        metric_value_kwargs: dict,
        metrics: dict,
        runtime_configuration: dict,
    ) -> tuple:
        found = original(
            cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration
        )
        if not is_active():
            return found
        expression, compute_domain_kwargs, accessor_domain_kwargs = found
        column_name = accessor_domain_kwargs["column"]
        replaced = rewrite(execution_engine, metrics, column_name)
        return (expression if replaced is None else replaced), compute_domain_kwargs, accessor_domain_kwargs

    providers[_SQL_ENGINE] = (provider_cls, rewritten)
