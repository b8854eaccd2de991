"""The most common values of a column without pulling every value count out of the warehouse.

GX's ``column.most_common_value`` reads ``column.value_counts``: a ``GROUP BY`` of the day whose
every row (one per distinct value) comes back to Python. Here the modes come from the known-value
counts of the bundled query when they decide it (``known_values.py``), and otherwise from one
grouped query that returns only the values tied for the largest count.

GX compares the modes with the value set as Python values: the values as the database returns
them, put through a pandas index (``1`` matches an integer, boolean or float mode, ``"1"`` only a
text one; a timestamp comes back as a pandas ``Timestamp``). The grouped query returns them the
same way. The known-value counts compare values as text, so they decide the modes only of a text
column, whose values are that text (``counted_as_text``); any other column is grouped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from great_expectations.compatibility import pydantic
from great_expectations.compatibility.sqlalchemy import sqlalchemy as sa
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine import PandasExecutionEngine, SqlAlchemyExecutionEngine
from great_expectations.expectations.core.expect_column_most_common_value_to_be_in_set import (
    ExpectColumnMostCommonValueToBeInSet,
)
from great_expectations.expectations.metrics.column_aggregate_metric_provider import ColumnAggregateMetricProvider
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.util import get_sqlalchemy_selectable

from training.checks.data.distinct import LIBRARY_METADATA, counted_as_text
from training.checks.data.known_values import (
    KNOWN_VALUES_DESCRIPTION,
    KnownValueCounts,
    known_counts,
)

if TYPE_CHECKING:
    from great_expectations.execution_engine import ExecutionEngine

METRIC = "trainguard.column.modes"


class ColumnModes(KnownValueCounts, ColumnAggregateMetricProvider):
    """The non-null values of a column tied for the largest count, sorted."""

    metric_name = METRIC

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine: PandasExecutionEngine, metric_domain_kwargs: dict, **kwargs: Any) -> list:
        frame, _, accessor = execution_engine.get_compute_domain(metric_domain_kwargs, MetricDomainTypes.COLUMN)
        return sorted(frame[accessor["column"]].dropna().mode().tolist(), key=str)

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(
        cls,
        execution_engine: SqlAlchemyExecutionEngine,
        metric_domain_kwargs: dict,
        metric_value_kwargs: dict,
        metrics: dict[str, Any],
        **kwargs: Any,
    ) -> list:
        import pandas as pd

        selectable, _, accessor = execution_engine.get_compute_domain(metric_domain_kwargs, MetricDomainTypes.COLUMN)
        known = known_counts(metrics, metric_value_kwargs.get("known_values"))
        if known is not None and counted_as_text(metrics, accessor["column"]):
            counts, other = known
            top = max(counts.values(), default=0)
            # Any value outside the known set occurs at most `other` times.
            if top > other:
                return sorted(v for v, c in counts.items() if c == top)
        column = sa.column(accessor["column"])
        # GX's column.value_counts groups the column itself (no cast): the same groups and values.
        groups = (
            sa.select(column.label("value"), sa.func.count().label("n"))
            .select_from(get_sqlalchemy_selectable(selectable))
            .where(column.is_not(None))
            .group_by(column)
            .cte("groups")
        )
        largest = sa.select(sa.func.max(groups.c.n)).scalar_subquery()
        rows = execution_engine.execute_query(sa.select(groups.c.value).where(groups.c.n == largest)).all()
        # GX reads its modes from a pandas index of the values: the same conversion.
        return sorted(pd.Index([r[0] for r in rows], name="value"), key=str)


class ExpectColumnModeToBeInSet(ExpectColumnMostCommonValueToBeInSet):
    """Expect the most common value of a column to be in a given set.

    GX's ``expect_column_most_common_value_to_be_in_set`` (same arguments, verdicts and
    rendering) with the modes taken from the counts of the column's known values when they
    decide it, or from a grouped query that returns only the tied values, instead of every
    value count of the batch.

    Args:
        column (str): The column name.
        value_set (set-like): A list of potential values to match.
        ties_okay (boolean or None): If True, a tie for most common passes when at least one of
            the tied values is in the set; otherwise the mode must be unique and in the set.
        known_values (list of str or None): The column's known value set; when given, the
            column holds text and no value outside the set could be as frequent, the modes come
            from the shared aggregate query.

    Returns:
        An ExpectationSuiteValidationResult whose ``observed_value`` is the list of modes.
    """

    known_values: list[str] | None = pydantic.Field(None, description=KNOWN_VALUES_DESCRIPTION)

    library_metadata: ClassVar[dict[str, Any]] = LIBRARY_METADATA
    metric_dependencies = (METRIC,)
    success_keys = (*ExpectColumnMostCommonValueToBeInSet.success_keys, "known_values")

    class Config:
        title = "Expect column mode to be in set"

    def _validate(
        self,
        metrics: dict,
        runtime_configuration: dict | None = None,
        execution_engine: ExecutionEngine | None = None,
    ) -> dict:
        return super()._validate({"column.most_common_value": metrics[METRIC]}, runtime_configuration, execution_engine)
