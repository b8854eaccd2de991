"""Distinct-value counts from a grouped scan instead of ``count(DISTINCT ...)`` in the bundle.

GX computes ``column.distinct_values.count`` as ``count(DISTINCT col)`` inside the batch's
bundled aggregate query. PostgreSQL cannot split an aggregate with DISTINCT across parallel
workers, so one such count makes the whole bundled query (every other column's statistics)
run on one core: on a 1M-row day it took 2.4 s instead of 1.3 s. A ``GROUP BY col`` in its
own query runs in parallel (about 0.1 s per low-cardinality column there) and gives the
non-null count too, so the unique share needs nothing else.

With ``known_values`` (a categorical column's known value set) the count comes from the
column's known-value counts in the bundled query when no other value occurs, and the grouped
scan runs only when one does (``known_values.py``). Those counts compare the values as text, which
counts distinct values exactly only for a text column (``counted_as_text``): on any other column
(``0.0`` and ``-0.0``, ``1.0`` and ``1.00`` are one value, two texts) the grouped scan runs.

The expectations here are GX's ``expect_column_unique_value_count_to_be_between`` and
``expect_column_proportion_of_unique_values_to_be_between`` with this metric underneath: same
arguments and verdicts (plus the optional ``known_values``), same rendering.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from great_expectations.compatibility import pydantic
from great_expectations.compatibility.sqlalchemy import sqlalchemy as sa
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine import PandasExecutionEngine, SqlAlchemyExecutionEngine
from great_expectations.expectations.core.expect_column_proportion_of_unique_values_to_be_between import (
    ExpectColumnProportionOfUniqueValuesToBeBetween,
)
from great_expectations.expectations.core.expect_column_unique_value_count_to_be_between import (
    ExpectColumnUniqueValueCountToBeBetween,
)
from great_expectations.expectations.metrics.column_aggregate_metric_provider import ColumnAggregateMetricProvider
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.util import get_sqlalchemy_selectable

from training.checks.data.known_values import (
    KNOWN_VALUES_DESCRIPTION,
    KnownValueCounts,
    known_counts,
)

if TYPE_CHECKING:
    from great_expectations.execution_engine import ExecutionEngine

METRIC = "trainguard.column.distinct_and_nonnull"
LIBRARY_METADATA: dict[str, Any] = {
    "maturity": "production",
    "tags": ["trainguard", "column aggregate", "single scan"],
    "contributors": ["trainguard"],
    "requirements": [],
}


# Type names as GX's table.column_types gives them on PostgreSQL (compiled type text, no length).
_INTEGER_NAMES = {"SMALLINT", "INTEGER", "INT", "BIGINT", "INT2", "INT4", "INT8"}
_FLOAT_NAMES = {
    "REAL",
    "FLOAT",
    "FLOAT4",
    "FLOAT8",
    "DOUBLE",
    "DOUBLE PRECISION",
    "DOUBLE_PRECISION",
    "NUMERIC",
    "DECIMAL",
}
_TEXT_NAMES = {"TEXT", "VARCHAR", "CHARACTER VARYING"}
_NAMED_KINDS = {
    **dict.fromkeys(_INTEGER_NAMES, "integer"),
    **dict.fromkeys(_FLOAT_NAMES, "float"),
    **dict.fromkeys(_TEXT_NAMES, "text"),
}


def column_kind(metrics: dict[str, Any], column: str) -> str:
    """How ``column``'s values compare, from GX's ``table.column_types`` metric (a dependency of
    every column aggregate metric; SQLAlchemy types on SQLite, compiled type names on
    PostgreSQL): ``"integer"``, ``"float"`` (floating point and NUMERIC, which PostgreSQL
    compares with a double as a double), ``"text"`` (text that GROUP BY and ``=`` compare byte
    for byte and that comes back as stored: not blank-padded ``CHAR(n)``, no collation) or
    ``"other"`` (booleans, dates, unknown or unreported types)."""
    described = {str(entry.get("name")): entry.get("type") for entry in metrics.get("table.column_types") or []}
    kind = described.get(column)
    if kind is None:
        kind = next((found for name, found in described.items() if name.lower() == column.lower()), None)
    if isinstance(kind, str):
        name = kind.upper()
        return "other" if "COLLATE" in name or "[" in name else _NAMED_KINDS.get(name.split("(")[0].strip(), "other")
    if isinstance(kind, sa.Boolean):
        return "other"
    if isinstance(kind, sa.Integer):
        return "integer"
    if isinstance(kind, (sa.Float, sa.Numeric)):
        return "float"
    if isinstance(kind, sa.String) and not isinstance(kind, (sa.CHAR, sa.NCHAR)) and kind.collation is None:
        return "text"
    return "other"


def counted_as_text(metrics: dict[str, Any], column: str) -> bool:
    """Whether the known-value counts (values compared as text) count ``column``'s values exactly
    as GX groups them, and its values come back as that text: a ``"text"`` column."""
    return column_kind(metrics, column) == "text"


class ColumnDistinctAndNonNull(KnownValueCounts, ColumnAggregateMetricProvider):
    """``[distinct non-null values, non-null values]`` of a column, from one grouped scan (or
    from the known-value counts when no other value occurs)."""

    metric_name = METRIC

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine: PandasExecutionEngine, metric_domain_kwargs: dict, **kwargs: Any) -> list[int]:
        frame, _, accessor = execution_engine.get_compute_domain(metric_domain_kwargs, MetricDomainTypes.COLUMN)
        values = frame[accessor["column"]].dropna()
        return [int(values.nunique()), len(values)]

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(
        cls,
        execution_engine: SqlAlchemyExecutionEngine,
        metric_domain_kwargs: dict,
        metric_value_kwargs: dict,
        metrics: dict[str, Any],
        **kwargs: Any,
    ) -> list[int]:
        selectable, _, accessor = execution_engine.get_compute_domain(metric_domain_kwargs, MetricDomainTypes.COLUMN)
        known = known_counts(metrics, metric_value_kwargs.get("known_values"))
        if known is not None and known[1] == 0 and counted_as_text(metrics, accessor["column"]):
            counts = known[0].values()
            return [sum(1 for c in counts if c), sum(counts)]
        column = sa.column(accessor["column"])
        # A row condition makes the domain a SELECT, which must become a subquery to be read from.
        groups = (
            sa.select(sa.func.count().label("n"))
            .select_from(get_sqlalchemy_selectable(selectable))
            .where(column.is_not(None))
            .group_by(column)
            .subquery()
        )
        query = sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(groups.c.n), 0)).select_from(groups)
        distinct, nonnull = execution_engine.execute_query(query).one()
        return [int(distinct), int(nonnull)]


class _FromDistinctCounts:
    """The metric and verdict shared by both expectations: GX's min/max check (strict bounds,
    rendering) on the value ``_observed`` derives from the grouped counts."""

    library_metadata: ClassVar[dict[str, Any]] = LIBRARY_METADATA
    metric_dependencies = (METRIC,)

    @staticmethod
    def _observed(distinct: int, nonnull: int) -> float:
        raise NotImplementedError

    def _validate(
        self,
        metrics: dict,
        runtime_configuration: dict | None = None,
        execution_engine: ExecutionEngine | None = None,
    ) -> dict:
        observed = self._observed(*metrics[METRIC])
        return self._validate_metric_value_between(
            metric_name=METRIC,
            metrics={METRIC: observed},
            runtime_configuration=runtime_configuration,
            execution_engine=execution_engine,
        )


class ExpectColumnDistinctCountToBeBetween(_FromDistinctCounts, ExpectColumnUniqueValueCountToBeBetween):
    """Expect the number of distinct non-null values of a column to be between a minimum and a maximum.

    GX's ``expect_column_unique_value_count_to_be_between`` with the count taken from a grouped
    scan of the column (parallel on PostgreSQL) instead of ``count(DISTINCT ...)`` in the
    batch's shared aggregate query.

    Args:
        column (str): The column name.
        min_value (int or None): The minimum number of distinct values (None: no minimum).
        max_value (int or None): The maximum number of distinct values (None: no maximum).
        strict_min (bool): If True, the count must be strictly larger than min_value.
        strict_max (bool): If True, the count must be strictly smaller than max_value.
        known_values (list of str or None): The column's known value set; when given, the count
            of a text column comes from the shared aggregate query unless another value occurs.

    Returns:
        An ExpectationSuiteValidationResult whose ``observed_value`` is the distinct count.
    """

    known_values: list[str] | None = pydantic.Field(None, description=KNOWN_VALUES_DESCRIPTION)
    success_keys = (*ExpectColumnUniqueValueCountToBeBetween.success_keys, "known_values")

    @staticmethod
    def _observed(distinct: int, nonnull: int) -> float:
        return distinct


class ExpectColumnDistinctProportionToBeBetween(_FromDistinctCounts, ExpectColumnProportionOfUniqueValuesToBeBetween):
    """Expect the share of distinct values among a column's non-null values to be between a minimum
    and a maximum.

    GX's ``expect_column_proportion_of_unique_values_to_be_between`` (distinct non-null values
    divided by non-null values; 0 for a column with no values), with both counts taken from one
    grouped scan of the column instead of ``count(DISTINCT ...)`` in the shared aggregate query.

    Args:
        column (str): The column name.
        min_value (float or None): The minimum proportion, between 0 and 1 (None: no minimum).
        max_value (float or None): The maximum proportion, between 0 and 1 (None: no maximum).
        strict_min (bool): If True, the proportion must be strictly larger than min_value.
        strict_max (bool): If True, the proportion must be strictly smaller than max_value.
        known_values (list of str or None): As for expect_column_distinct_count_to_be_between.

    Returns:
        An ExpectationSuiteValidationResult whose ``observed_value`` is the proportion.
    """

    known_values: list[str] | None = pydantic.Field(None, description=KNOWN_VALUES_DESCRIPTION)
    success_keys = (*ExpectColumnProportionOfUniqueValuesToBeBetween.success_keys, "known_values")

    @staticmethod
    def _observed(distinct: int, nonnull: int) -> float:
        return distinct / nonnull if nonnull else 0.0
