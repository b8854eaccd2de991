"""Quantile ranges checked with counts instead of sorted values: part of the batch's single scan.

GX's ``expect_column_quantile_values_to_be_between`` computes each column's quantiles in its own
query (``percentile_disc`` on PostgreSQL, one ``ORDER BY ... OFFSET`` query per quantile on
SQLite). Both take the value of rank ``k = max(ceil(q * n), 1)`` among the ``n`` sorted non-null
values (``q * n`` in double precision on PostgreSQL, in decimal on SQLite), and GX accepts that
quantile ``Q`` for ``[min, max]`` when ``min <= Q <= max`` or when ``Q`` is close to either
bound: ``isclose(Q, bound, rtol=1e-4)`` (``|Q - bound| <= 1e-8 + 1e-4 * |bound|``, in doubles),
a bound of None being an infinity.

Whether a quantile is accepted needs no sorting. The doubles GX accepts for a range are one
interval ``[a, c]`` (the range widened by the tolerance of each bound), or, when min > max, the
tolerances around the two bounds: one or two intervals. The value of rank k lies in ``[a, c]``
exactly when fewer than k values are below ``a`` and at least k are at or below ``c``: two counts
per interval, computed in the bundled aggregate query, give GX's verdict. The database compares
the values in double precision, as GX's tolerance test does after converting the quantile.

The counts are exact for numeric columns only. The quantiles of any other column (text, dates,
booleans...) are sorted as GX sorts them and compared with the ranges as GX compares them (GX's
check fails on a value it cannot compare with numbers).
"""

from __future__ import annotations

import functools
import math
import struct
import sys
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar

from great_expectations.compatibility import pydantic
from great_expectations.compatibility.sqlalchemy import sqlalchemy as sa
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine import PandasExecutionEngine, SqlAlchemyExecutionEngine
from great_expectations.expectations.expectation import ColumnAggregateExpectation
from great_expectations.expectations.metrics.column_aggregate_metric_provider import (
    ColumnAggregateMetricProvider,
    column_aggregate_partial,
    column_aggregate_value,
)
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.util import get_sqlalchemy_selectable, isclose
from great_expectations.validator.metric_configuration import MetricConfiguration

from training.checks.data.bucket_sums import SPAN_METRICS, Bound, Span, count_if, span_counts, threshold, unpack
from training.checks.data.distinct import column_kind
from training.checks.rendering import TextRenderers
from training.gx.summary import number

if TYPE_CHECKING:
    from great_expectations.execution_engine import ExecutionEngine

QUANTILE_RANGES_DESCRIPTION = (
    "{'quantiles': [q1, q2, ...], 'value_ranges': [[min1, max1], [min2, max2], ...]}, as in GX's "
    "expect_column_quantile_values_to_be_between; a bound of None is open."
)
BRACKETS = "trainguard.column.quantile_brackets"
SORTED = "trainguard.column.sorted_quantiles"
# GX's tolerance for a quantile on a bound (``_quantile_is_in_range``; ``isclose``'s atol is 1e-8).
RELATIVE_TOLERANCE = 1.0e-4
# Placeholder count: every non-null value except NaN (the values at or below +inf).
NOT_NAN = -1
# Separates the NaN count from the bracket counts in the metric's text value.
NAN_MARK = "#"
LARGEST = sys.float_info.max
# Column kinds (``column_kind``) whose values the database compares with a double as numbers.
NUMBERS = ("integer", "float")

Interval = tuple[float, float]


def _bounds(quantile_ranges: dict) -> list[tuple[float, Any, Any]]:
    return [
        (float(q), lo, hi)
        for q, (lo, hi) in zip(quantile_ranges["quantiles"], quantile_ranges["value_ranges"], strict=True)
    ]


def _close(value: Any, bound: Any) -> bool:
    return bool(isclose(operand_a=value, operand_b=bound, rtol=RELATIVE_TOLERANCE))


def _close_double(x: float, bound: float) -> bool:
    """``_close`` for two doubles, as numpy's isclose computes it (same operations, same rounding)."""
    return abs(x - bound) <= 1.0e-8 + RELATIVE_TOLERANCE * abs(bound) or x == bound


def _ordinal(x: float) -> int:
    """Doubles in order as integers (-0.0 and 0.0 both 0): neighbours differ by 1."""
    bits = struct.unpack("<q", struct.pack("<d", x))[0]
    return bits if bits >= 0 else -(bits & 0x7FFFFFFFFFFFFFFF)


def _double(ordinal: int) -> float:
    bits = ordinal if ordinal >= 0 else (-ordinal) | -0x8000000000000000
    return struct.unpack("<d", struct.pack("<q", bits))[0]


@functools.lru_cache(maxsize=4096)
def _close_interval(bound: float) -> Interval | None:
    """The doubles GX finds close to ``bound``: one interval (the rounded ``|x - bound|`` grows
    away from the bound), found by bisection over the doubles; None for a NaN bound."""
    if math.isnan(bound):
        return None
    if math.isinf(bound):
        return (bound, bound)
    reach = 2 * (1.0e-8 + RELATIVE_TOLERANCE * abs(bound))
    ends = []
    for direction in (-1, 1):
        near, far = _ordinal(bound), _ordinal(min(max(bound + direction * reach, -LARGEST), LARGEST))
        if _close_double(_double(far), bound):  # only at the largest double
            near = far
        while abs(far - near) > 1:
            middle = (near + far) // 2
            near, far = (middle, far) if _close_double(_double(middle), bound) else (near, middle)
        ends.append(_double(near))
    return (ends[0], ends[1])


def accepted_intervals(lo: Any, hi: Any) -> list[Interval]:
    """The doubles GX accepts as a quantile for the range ``[lo, hi]``, as disjoint closed
    intervals in increasing order: the close sets of both bounds and, when lo <= hi, the range."""
    low = -math.inf if lo is None else float(lo)
    high = math.inf if hi is None else float(hi)
    found = [i for i in (_close_interval(low), _close_interval(high)) if i is not None]
    if low <= high:
        found.append((low, high))
    merged: list[Interval] = []
    for a, c in sorted(found):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], c))
        else:
            merged.append((a, c))
    return merged


def _spans(quantile_ranges: dict) -> list[Span]:
    """The non-null count, then per quantile and accepted interval ``[a, c]``: values below ``a``
    and values at or below ``c`` (placeholders 0 below -inf and ``NOT_NAN`` up to +inf)."""
    spans: list[Span] = [(None, None)]
    for _, lo, hi in _bounds(quantile_ranges):
        for a, c in accepted_intervals(lo, hi):
            spans.append(0 if a == -math.inf else (None, (a, False)))
            spans.append(NOT_NAN if c == math.inf else (None, (c, True)))
    return spans


def rank(q: float, values: int, dialect_name: str | None) -> int:
    """The rank (from 1) of quantile ``q`` among ``values`` sorted values, as GX's query picks it:
    ``ceil(q * n)`` of the quantile as written on SQLite (GX's OFFSET), in double precision
    elsewhere (``percentile_disc``), and at least 1."""
    product = Fraction(str(q)) * values if dialect_name == "sqlite" else q * values
    return max(math.ceil(product), 1)


def in_range(value: Any, lo: Any, hi: Any) -> bool:
    """GX's test of a computed quantile (``_quantile_is_in_range``); a value it cannot compare
    with the bounds (text, dates) fails, as GX's check does."""
    low = -math.inf if lo is None else lo
    high = math.inf if hi is None else hi
    if value is None:
        return False
    try:
        return bool(_close(value, low) or _close(value, high) or low <= value <= high)
    except (TypeError, ValueError):
        return False


class ColumnQuantileBrackets(ColumnAggregateMetricProvider):
    """Non-null values, then per quantile range and accepted interval ``[a, c]``: values below
    ``a``, values at or below ``c``; on PostgreSQL, then the NaN values when an interval is open
    above. Only the non-null count for a column that is not numeric."""

    metric_name = BRACKETS
    value_keys = ("quantile_ranges",)

    @column_aggregate_value(engine=PandasExecutionEngine)
    def _pandas(cls, column: Any, quantile_ranges: dict, **kwargs: Any) -> list[int]:
        import pandas as pd

        values = pd.to_numeric(column.dropna(), errors="coerce").dropna()
        out = [len(values)]
        for _, lo, hi in _bounds(quantile_ranges):
            for a, c in accepted_intervals(lo, hi):
                out += [int((values < a).sum()), int((values <= c).sum())]
        return out

    @column_aggregate_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(
        cls, column: Any, quantile_ranges: dict, _dialect: Any = None, _metrics: Any = None, **kwargs: Any
    ) -> Any:
        kind = column_kind(_metrics or {}, column.name)
        if kind not in NUMBERS:
            return sa.cast(sa.func.count(column), sa.String)
        spans = _spans(quantile_ranges)
        counts = span_counts(column, spans, _dialect, integer=kind == "integer")
        if NOT_NAN in spans and kind == "float" and _dialect is not None and _dialect.name == "postgresql":
            # PostgreSQL's NaN (of double precision and numeric) sorts above +inf.
            nan = count_if(sa.cast(column, sa.Float) == threshold(math.nan, _dialect), _dialect)
            return counts + sa.literal(NAN_MARK, sa.String) + sa.cast(nan, sa.String)
        return counts


def _bracket_bounds(value_kwargs: dict) -> list[Bound]:
    return [b for span in _spans(value_kwargs["quantile_ranges"]) if not isinstance(span, int) for b in span if b]


SPAN_METRICS[BRACKETS] = _bracket_bounds


def _read_brackets(value: Any) -> list[int]:
    """The counts of the metric's value, ``NOT_NAN`` placeholders replaced by their counts."""
    nan = 0
    if isinstance(value, str) and NAN_MARK in value:
        value, nan_text = value.rsplit(NAN_MARK, 1)
        nan = int(nan_text)
    counts = unpack(value)
    return [counts[0] - nan if c == NOT_NAN else c for c in counts] if counts else []


class ColumnSortedQuantiles(ColumnAggregateMetricProvider):
    """The quantiles of a column that is not numeric, computed as GX computes them
    (``percentile_disc`` on PostgreSQL, ``ORDER BY ... OFFSET`` elsewhere); None for a numeric
    column, whose quantile brackets are counted instead."""

    metric_name = SORTED
    value_keys = ("quantile_ranges",)

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, **kwargs: Any) -> None:
        return None

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(
        cls,
        execution_engine: SqlAlchemyExecutionEngine,
        metric_domain_kwargs: dict,
        metric_value_kwargs: dict,
        metrics: dict[str, Any],
        **kwargs: Any,
    ) -> list | None:
        selectable, _, accessor = execution_engine.get_compute_domain(metric_domain_kwargs, MetricDomainTypes.COLUMN)
        name = accessor["column"]
        if column_kind(metrics, name) in NUMBERS:
            return None
        values = _read_brackets(metrics[BRACKETS])[0]
        quantiles = [q for q, _, _ in _bounds(metric_value_kwargs["quantile_ranges"])]
        if not values:
            return [None] * len(quantiles)
        column, source = sa.column(name), get_sqlalchemy_selectable(selectable)
        dialect = execution_engine.dialect_name
        if dialect == "postgresql":
            query = sa.select(*(sa.func.percentile_disc(q).within_group(column.asc()) for q in quantiles))
            return list(execution_engine.execute_query(query.select_from(source)).one())
        found = []
        for q in quantiles:
            query = (
                sa.select(column)
                .where(column.is_not(None))
                .order_by(column.asc())
                .offset(rank(q, values, dialect) - 1)
                .limit(1)
                .select_from(source)
            )
            found.append(execution_engine.execute_query(query).scalar())
        return found

    @classmethod
    def _get_evaluation_dependencies(
        cls,
        metric: MetricConfiguration,
        configuration: Any = None,
        execution_engine: Any = None,
        runtime_configuration: dict | None = None,
    ) -> dict:
        dependencies = super()._get_evaluation_dependencies(
            metric=metric,
            configuration=configuration,
            execution_engine=execution_engine,
            runtime_configuration=runtime_configuration,
        )
        dependencies[BRACKETS] = MetricConfiguration(
            metric_name=BRACKETS,
            metric_domain_kwargs=metric.metric_domain_kwargs,
            metric_value_kwargs=metric.metric_value_kwargs,
        )
        return dependencies


class ExpectColumnQuantilesToBeBetween(TextRenderers, ColumnAggregateExpectation):
    """Expect each given quantile of a column to lie in its range, decided from counts in one scan.

    The verdict equals that of GX's expect_column_quantile_values_to_be_between on SQLite and
    PostgreSQL: the quantile q of the n non-null values is the value of rank max(ceil(q * n), 1)
    (PostgreSQL's percentile_disc; q * n in decimal on SQLite, as GX's query there), and it is
    in its range when min <= quantile <= max or when it is within GX's relative tolerance of
    either bound (isclose with rtol 1e-4), a range with min > max included. For a numeric
    column that is decided from counts: fewer than k values below the accepted values and at
    least k at or below them. The observed value reports, per quantile, the share of values
    below and at or below the accepted values (the quantile itself is not computed: that would
    need a sort); a column that is not numeric has its quantiles sorted, as in GX. A batch
    with no non-null values fails.

    Args:
        column (str): The numeric column to check.
        quantile_ranges (dict): {QUANTILE_RANGES_DESCRIPTION}

    Code Examples:
        ExpectColumnQuantilesToBeBetween(column="distance_km",
            quantile_ranges={{"quantiles": [0.5], "value_ranges": [[4.0, 5.5]]}})
        -> success when at most half of the values are below 4.0 and at least half are <= 5.5
           (each bound widened by GX's tolerance, 1e-4 of it).
    """

    quantile_ranges: dict = pydantic.Field(description=QUANTILE_RANGES_DESCRIPTION)

    library_metadata: ClassVar[dict[str, Any]] = {
        "maturity": "experimental",
        "tags": ["trainguard", "quantiles", "value skew", "single scan"],
        "contributors": ["trainguard"],
    }

    metric_dependencies = (BRACKETS, SORTED)
    success_keys = ("quantile_ranges",)
    args_keys = ("column", "quantile_ranges")

    @pydantic.validator("quantile_ranges")
    def _check_ranges(cls, value: dict) -> dict:
        quantiles, ranges = value.get("quantiles"), value.get("value_ranges")
        if not quantiles or ranges is None or len(quantiles) != len(ranges):
            raise ValueError("quantile_ranges needs 'quantiles' and as many 'value_ranges' ([min, max] pairs)")
        if any(not 0 <= float(q) <= 1 for q in quantiles):
            raise ValueError("quantiles must be between 0 and 1")
        for pair in ranges:
            if len(pair) != 2 or any(b is not None and not isinstance(b, (int, float)) for b in pair):
                raise ValueError(f"each value range is a [min, max] pair of numbers or None, not {pair}")
        return value

    def _validate(
        self,
        metrics: dict,
        runtime_configuration: dict | None = None,
        execution_engine: ExecutionEngine | None = None,
    ) -> dict:
        counts = _read_brackets(metrics.get(BRACKETS))
        total = counts[0] if counts else 0
        if total == 0:
            return {
                "success": False,
                "result": {"observed_value": None, "details": {"reason": f"no non-null values of {self.column!r}"}},
            }
        dialect = getattr(execution_engine, "dialect_name", None)
        values = metrics.get(SORTED)
        checks, position = [], 1
        for i, (q, lo, hi) in enumerate(_bounds(self.quantile_ranges)):
            k = rank(q, total, dialect)
            check: dict[str, Any] = {"quantile": q, "value_range": [lo, hi], "rank": k}
            if values is not None:
                check.update(value=values[i], success=in_range(values[i], lo, hi))
                checks.append(check)
                continue
            intervals = accepted_intervals(lo, hi)
            found = [tuple(counts[position + 2 * j : position + 2 * j + 2]) for j in range(len(intervals))]
            position += 2 * len(intervals)
            ok = any(below < k <= upto for below, upto in found)
            side = None
            if not ok and found:
                side = "below" if found[0][0] >= k else "above" if found[-1][1] < k else "between"
            check.update(
                share_below_min=None if lo is None or not found else round(found[0][0] / total, 6),
                share_at_or_below_max=None if hi is None or not found else round(found[-1][1] / total, 6),
                outside=side,
                success=ok,
            )
            checks.append(check)
        failed = [c["quantile"] for c in checks if not c["success"]]
        return {
            "success": not failed,
            "result": {
                "observed_value": f"{len(checks) - len(failed)} of {len(checks)} quantiles in range",
                "details": {"quantiles": checks, "failed_quantiles": failed, "values": total},
            },
        }

    @classmethod
    def _sentence(cls, kwargs: dict[str, Any]) -> str:
        ranges = kwargs.get("quantile_ranges") or {}
        parts = [
            f"q{q:g} in [{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}]"
            for q, (lo, hi) in zip(ranges.get("quantiles", []), ranges.get("value_ranges", []), strict=False)
        ]
        return "$column quantiles must lie in their ranges: " + "; ".join(parts) + "."

    @classmethod
    def _observed_text(cls, observed: Any, details: dict[str, Any], kwargs: dict[str, Any]) -> str:
        failed = [c for c in details.get("quantiles", []) if not c["success"]]
        if not failed:
            return str(observed)
        notes = []
        for c in failed:
            lo, hi = (
                "-inf" if c["value_range"][0] is None else number(c["value_range"][0]),
                "inf" if c["value_range"][1] is None else number(c["value_range"][1]),
            )
            q = f"q{c['quantile']:g}"
            below, upto = c.get("share_below_min"), c.get("share_at_or_below_max")
            if "value" in c:
                shown = number(c["value"]) if isinstance(c["value"], int | float) else repr(c["value"])
                notes.append(f"{q} is {shown}, not in [{lo}, {hi}]")
            elif c.get("outside") == "below" and below is not None:
                notes.append(f"{q} below {lo} ({below:.1%} of values are)")
            elif c.get("outside") == "above" and upto is not None:
                notes.append(f"{q} above {hi} (only {upto:.1%} of values are <= it)")
            else:
                notes.append(f"{q} not in [{lo}, {hi}]")
        return f"{observed}: " + "; ".join(notes)


ExpectColumnQuantilesToBeBetween.__doc__ = (ExpectColumnQuantilesToBeBetween.__doc__ or "").format(
    QUANTILE_RANGES_DESCRIPTION=QUANTILE_RANGES_DESCRIPTION
)
