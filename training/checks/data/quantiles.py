"""Quantile ranges checked with counts instead of sorted values: part of the batch's single scan.

GX's ``expect_column_quantile_values_to_be_between`` computes each column's quantiles in its own
query (``percentile_disc`` on PostgreSQL, one ``ORDER BY ... OFFSET`` query per quantile on
SQLite). Whether a quantile lies in a range needs no sorting: with F(x) the share of non-null
values <= x, the nearest-rank quantile Q(q) = min{x : F(x) >= q} satisfies
``min_value <= Q(q)`` exactly when the share of values below ``min_value`` is < q, and
``Q(q) <= max_value`` exactly when the share of values <= ``max_value`` is >= q. Two counts per
quantile, computed in the bundled aggregate query, give the same verdict as the sorted quantile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from great_expectations.compatibility import pydantic
from great_expectations.execution_engine import PandasExecutionEngine, SqlAlchemyExecutionEngine
from great_expectations.expectations.expectation import ColumnAggregateExpectation
from great_expectations.expectations.metrics.column_aggregate_metric_provider import (
    ColumnAggregateMetricProvider,
    column_aggregate_partial,
    column_aggregate_value,
)

from training.checks.data.bucket_sums import SPAN_METRICS, Bound, Span, span_counts, unpack
from training.checks.rendering import TextRenderers

if TYPE_CHECKING:
    from great_expectations.execution_engine import ExecutionEngine

QUANTILE_RANGES_DESCRIPTION = (
    "{'quantiles': [q1, q2, ...], 'value_ranges': [[min1, max1], [min2, max2], ...]}, as in GX's "
    "expect_column_quantile_values_to_be_between; a bound of None is open."
)
# Placeholder count for an open bound.
OPEN = -1


def _bounds(quantile_ranges: dict) -> list[tuple[float, Any, Any]]:
    return [
        (float(q), lo, hi)
        for q, (lo, hi) in zip(quantile_ranges["quantiles"], quantile_ranges["value_ranges"], strict=True)
    ]


class ColumnQuantileBrackets(ColumnAggregateMetricProvider):
    """Non-null values, then per quantile range: values below its minimum, values at or below
    its maximum (``OPEN`` for an open bound, so positions stay fixed)."""

    metric_name = "trainguard.column.quantile_brackets"
    value_keys = ("quantile_ranges",)

    @column_aggregate_value(engine=PandasExecutionEngine)
    def _pandas(cls, column: Any, quantile_ranges: dict, **kwargs: Any) -> list[int]:
        import pandas as pd

        values = pd.to_numeric(column.dropna(), errors="coerce").dropna()
        out = [len(values)]
        for _, lo, hi in _bounds(quantile_ranges):
            out += [OPEN if lo is None else int((values < lo).sum()), OPEN if hi is None else int((values <= hi).sum())]
        return out

    @column_aggregate_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column: Any, quantile_ranges: dict, _dialect: Any = None, **kwargs: Any) -> Any:
        spans: list[Span] = [(None, None)]
        for _, lo, hi in _bounds(quantile_ranges):
            spans.append(OPEN if lo is None else (None, (float(lo), False)))
            spans.append(OPEN if hi is None else (None, (float(hi), True)))
        return span_counts(column, spans, _dialect)


def _bracket_bounds(value_kwargs: dict) -> list[Bound]:
    found: list[Bound] = []
    for _, lo, hi in _bounds(value_kwargs["quantile_ranges"]):
        found += [] if lo is None else [(float(lo), False)]
        found += [] if hi is None else [(float(hi), True)]
    return found


SPAN_METRICS[ColumnQuantileBrackets.metric_name] = _bracket_bounds


class ExpectColumnQuantilesToBeBetween(TextRenderers, ColumnAggregateExpectation):
    """Expect each given quantile of a column to lie in its range, decided from counts in one scan.

    The verdict equals that of GX's expect_column_quantile_values_to_be_between with
    nearest-rank quantiles (PostgreSQL's percentile_disc): quantile q of the non-null values is
    at least ``min_value`` exactly when fewer than a share q of the values are below
    ``min_value``, and at most ``max_value`` exactly when at least a share q are at or below it.
    The observed value reports, per quantile, the share of values below the range and within
    reach of its top (the quantile itself is not computed: that would need a sort). A batch
    with no non-null values fails.

    Args:
        column (str): The numeric column to check.
        quantile_ranges (dict): {QUANTILE_RANGES_DESCRIPTION}

    Code Examples:
        ExpectColumnQuantilesToBeBetween(column="distance_km",
            quantile_ranges={{"quantiles": [0.5], "value_ranges": [[4.0, 5.5]]}})
        -> success when at most half of the values are below 4.0 and at least half are <= 5.5.
    """

    quantile_ranges: dict = pydantic.Field(description=QUANTILE_RANGES_DESCRIPTION)

    library_metadata: ClassVar[dict[str, Any]] = {
        "maturity": "experimental",
        "tags": ["trainguard", "quantiles", "value skew", "single scan"],
        "contributors": ["trainguard"],
    }

    metric_dependencies = ("trainguard.column.quantile_brackets",)
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
            if len(pair) != 2 or (None not in pair and pair[0] > pair[1]):
                raise ValueError(f"each value range is [min, max] with min <= max, not {pair}")
        return value

    def _validate(
        self,
        metrics: dict,
        runtime_configuration: dict | None = None,
        execution_engine: ExecutionEngine | None = None,
    ) -> dict:
        counts = unpack(metrics.get("trainguard.column.quantile_brackets"))
        total = counts[0] if counts else 0
        if total == 0:
            return {
                "success": False,
                "result": {"observed_value": None, "details": {"reason": f"no non-null values of {self.column!r}"}},
            }
        checks = []
        for i, (q, lo, hi) in enumerate(_bounds(self.quantile_ranges)):
            below, upto = counts[1 + 2 * i], counts[2 + 2 * i]
            share_below = None if lo is None else below / total
            share_upto = None if hi is None else upto / total
            ok = (share_below is None or share_below < q) and (share_upto is None or share_upto >= q)
            checks.append(
                {
                    "quantile": q,
                    "value_range": [lo, hi],
                    "share_below_min": None if share_below is None else round(share_below, 6),
                    "share_at_or_below_max": None if share_upto is None else round(share_upto, 6),
                    "success": bool(ok),
                }
            )
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
    def _observed_text(cls, observed: Any, details: dict[str, Any]) -> str:
        failed = [c for c in details.get("quantiles", []) if not c["success"]]
        if not failed:
            return str(observed)
        notes = []
        for c in failed:
            lo, hi = c["value_range"]
            if c["share_below_min"] is not None and c["share_below_min"] >= c["quantile"]:
                notes.append(f"q{c['quantile']:g} below {lo} ({c['share_below_min']:.1%} of values are)")
            else:
                share = c["share_at_or_below_max"]
                notes.append(f"q{c['quantile']:g} above {hi} (only {share:.1%} of values are <= it)")
        return f"{observed}: " + "; ".join(notes)


ExpectColumnQuantilesToBeBetween.__doc__ = (ExpectColumnQuantilesToBeBetween.__doc__ or "").format(
    QUANTILE_RANGES_DESCRIPTION=QUANTILE_RANGES_DESCRIPTION
)
