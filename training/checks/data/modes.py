"""The most common values of a column without pulling every value count out of the warehouse.

GX's ``column.most_common_value`` reads ``column.value_counts``: a ``GROUP BY`` of the day whose
every row (one per distinct value) comes back to Python. Here the modes come from the known-value
counts of the bundled query when they decide it (``known_values.py``), and otherwise from one
grouped query that returns only the values tied for the largest count.
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

from training.checks.data.distinct import LIBRARY_METADATA
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
        known = known_counts(metrics, metric_value_kwargs.get("known_values"))
        if known is not None:
            counts, other = known
            top = max(counts.values(), default=0)
            # Any value outside the known set occurs at most `other` times.
            if top > other:
                return sorted(v for v, c in counts.items() if c == top)
        selectable, _, accessor = execution_engine.get_compute_domain(metric_domain_kwargs, MetricDomainTypes.COLUMN)
        column = sa.column(accessor["column"])
        # With known values, modes are compared as text on both paths (dates, numbers).
        value = sa.cast(column, sa.String) if known is not None else column
        groups = (
            sa.select(value.label("value"), sa.func.count().label("n"))
            .select_from(selectable)
            .where(column.is_not(None))
            .group_by(value)
            .cte("groups")
        )
        largest = sa.select(sa.func.max(groups.c.n)).scalar_subquery()
        rows = execution_engine.execute_query(sa.select(groups.c.value).where(groups.c.n == largest)).all()
        return sorted((r[0] for r in rows), key=str)


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
        known_values (list of str or None): The column's known value set; when given and no
            value outside it could be as frequent, the modes come from the shared aggregate query.

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
