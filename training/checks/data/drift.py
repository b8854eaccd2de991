"""Distribution drift against a reference window: PSI and Jensen-Shannon distance.

The reference distribution is stored in the expectation itself (bin edges or categories, and
the reference window's counts per bucket), so a run needs only the current batch. The current
counts are computed in the database as part of the batch's single bundled aggregate query (or
in pandas), never by pulling rows out of the warehouse.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, ClassVar

from great_expectations.compatibility import pydantic
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine import PandasExecutionEngine, SqlAlchemyExecutionEngine
from great_expectations.expectations.expectation import ColumnAggregateExpectation
from great_expectations.expectations.metrics.column_aggregate_metric_provider import (
    ColumnAggregateMetricProvider,
    column_aggregate_partial,
)
from great_expectations.expectations.metrics.metric_provider import metric_value

from training.checks.data.bucket_sums import (
    CATEGORY_METRICS,
    SPAN_METRICS,
    Bound,
    Span,
    category_counts,
    span_counts,
    unpack,
)
from training.checks.data.distinct import column_kind
from training.checks.data.distributions import bucket_labels, drift_score, largest_shift
from training.checks.rendering import TextRenderers
from training.gx.summary import number

if TYPE_CHECKING:
    from great_expectations.execution_engine import ExecutionEngine

BIN_EDGES_DESCRIPTION = (
    "Inner edges of the numeric bins, ascending: values below the first edge fall in the first "
    "bucket, values at or above the last edge in the last one. Give this or categories."
)
CATEGORIES_DESCRIPTION = "Known categories; every other value falls in one 'other' bucket. Give this or bin_edges."
REFERENCE_COUNTS_DESCRIPTION = (
    "Reference window's count (or share) per bucket, in bucket order; for categories the last "
    "entry is the 'other' bucket."
)
THRESHOLD_DESCRIPTION = "Largest drift score that still passes."
REFERENCE_LABEL_DESCRIPTION = "Where the reference came from, e.g. '2026-06-01..2026-06-28' (shown in Data Docs)."
METHOD_NAMES = {"psi": "PSI", "js_distance": "Jensen-Shannon distance"}


class ColumnBucketCounts(ColumnAggregateMetricProvider):
    """Non-null values of a column counted per bucket (numeric bins, or categories + other)."""

    metric_name = "trainguard.column.bucket_counts"
    value_keys = ("bin_edges", "categories")

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(
        cls,
        execution_engine: PandasExecutionEngine,
        metric_domain_kwargs: dict,
        metric_value_kwargs: dict,
        metrics: dict[str, Any],
        runtime_configuration: dict,
    ) -> list[int]:
        import numpy as np
        import pandas as pd

        df, _, accessor = execution_engine.get_compute_domain(metric_domain_kwargs, MetricDomainTypes.COLUMN)
        values = df[accessor["column"]].dropna()
        edges = metric_value_kwargs.get("bin_edges")
        if edges is not None:
            numeric = pd.to_numeric(values, errors="coerce")
            # Values that are not numbers at all (a type change) count in the top bucket, as
            # SQLite orders text after numbers.
            index = np.searchsorted(np.asarray(edges, dtype=float), numeric.dropna().to_numpy(), side="right")
            counts = np.bincount(index, minlength=len(edges) + 1).tolist()
            counts[-1] += int(numeric.isna().sum())
            return [int(c) for c in counts]
        categories = list(metric_value_kwargs.get("categories") or [])
        text = values.astype(str)
        known = text.value_counts()
        counts = [int(known.get(c, 0)) for c in categories]
        return [*counts, int(len(text) - sum(counts))]

    @column_aggregate_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(
        cls,
        column: Any,
        bin_edges: list | None = None,
        categories: list | None = None,
        _dialect: Any = None,
        _metrics: Any = None,
        **kw: Any,
    ) -> Any:
        # One packed aggregate (see bucket_sums.py): it joins the batch's bundled query.
        if bin_edges is not None:
            integer = column_kind(_metrics or {}, column.name) == "integer"
            return span_counts(column, _bin_spans([float(e) for e in bin_edges]), _dialect, integer=integer)
        return category_counts(column, [str(c) for c in categories or []], _dialect)


def _bin_bounds(value_kwargs: dict) -> list[Bound]:
    return [(float(e), False) for e in value_kwargs.get("bin_edges") or []]


SPAN_METRICS[ColumnBucketCounts.metric_name] = _bin_bounds
CATEGORY_METRICS.add(ColumnBucketCounts.metric_name)


def _bin_spans(edges: list[float]) -> list[Span]:
    """Per-bin spans: below the first edge, between consecutive edges, then every other non-null
    value, so values SQLite stores as text in a numeric column (a type change) are counted."""
    bounds: list[Bound | None] = [None, *((e, False) for e in edges), None]
    return list(itertools.pairwise(bounds))


class _DriftExpectation(TextRenderers, ColumnAggregateExpectation):
    """Shared by the PSI and Jensen-Shannon expectations; ``method`` picks the score."""

    method: ClassVar[str]

    bin_edges: list[float] | None = pydantic.Field(None, description=BIN_EDGES_DESCRIPTION)
    categories: list[str] | None = pydantic.Field(None, description=CATEGORIES_DESCRIPTION)
    reference_counts: list[float] = pydantic.Field(description=REFERENCE_COUNTS_DESCRIPTION)
    threshold: float = pydantic.Field(description=THRESHOLD_DESCRIPTION, ge=0)
    reference_label: str | None = pydantic.Field(None, description=REFERENCE_LABEL_DESCRIPTION)

    library_metadata: ClassVar[dict[str, Any]] = {
        "maturity": "experimental",
        "tags": ["trainguard", "drift", "value skew"],
        "contributors": ["trainguard"],
    }

    metric_dependencies = ("trainguard.column.bucket_counts",)
    success_keys = ("bin_edges", "categories", "reference_counts", "threshold")
    args_keys = ("column", "threshold")

    @pydantic.root_validator(skip_on_failure=True)
    def _check_buckets(cls, values: dict) -> dict:
        edges, categories, reference = values.get("bin_edges"), values.get("categories"), values.get("reference_counts")
        if (edges is None) == (categories is None):
            raise ValueError("give exactly one of bin_edges (numeric) or categories (categorical)")
        if edges is not None and any(b <= a for a, b in itertools.pairwise(edges)):
            raise ValueError("bin_edges must be strictly ascending")
        buckets = len(edges) + 1 if edges is not None else len(categories) + 1
        if reference is None or len(reference) != buckets:
            raise ValueError(f"reference_counts needs {buckets} entries (one per bucket), got {len(reference or [])}")
        if sum(reference) <= 0 or any(c < 0 for c in reference):
            raise ValueError("reference_counts must be non-negative and not all zero")
        return values

    def _validate(
        self,
        metrics: dict,
        runtime_configuration: dict | None = None,
        execution_engine: ExecutionEngine | None = None,
    ) -> dict:
        counts = unpack(metrics.get("trainguard.column.bucket_counts"))
        if sum(counts) == 0:
            return {
                "success": False,
                "result": {
                    "observed_value": None,
                    "details": {"reason": f"no non-null values of {self.column!r} to compare", "method": self.method},
                },
            }
        score = drift_score(self.method, counts, self.reference_counts)
        labels = bucket_labels(self.bin_edges, self.categories)
        return {
            "success": bool(score <= self.threshold),
            "result": {
                "observed_value": round(score, 6),
                "details": {
                    "method": self.method,
                    "threshold": self.threshold,
                    "values_compared": int(sum(counts)),
                    "largest_shift": largest_shift(counts, self.reference_counts, labels),
                },
            },
        }

    @classmethod
    def _sentence(cls, kwargs: dict[str, Any]) -> str:
        edges, categories = kwargs.get("bin_edges"), kwargs.get("categories")
        buckets = f"{len(edges) + 1} reference bins" if edges is not None else f"{len(categories or [])} categories"
        source = f" (window {kwargs['reference_label']})" if kwargs.get("reference_label") else ""
        return (
            f"$column distribution must stay within {METHOD_NAMES[cls.method]} $threshold of the "
            f"reference distribution over {buckets}{source}."
        )

    @classmethod
    def _observed_text(cls, observed: Any, details: dict[str, Any], kwargs: dict[str, Any]) -> str:
        shift = details.get("largest_shift") or {}
        moved = (
            f"; largest shift in {shift['bucket']}: {shift['current']:.1%} now vs {shift['reference']:.1%} in reference"
            if shift
            else ""
        )
        return f"{METHOD_NAMES[cls.method]} {number(observed)} (threshold {number(details.get('threshold'))}){moved}"


class ExpectColumnPsiToBeLessThan(_DriftExpectation):
    """Expect the population stability index of a column against its reference distribution to be at most a threshold.

    PSI = sum over buckets of (p - q) * ln(p / q), where p is the current share and q the
    reference share of a bucket (shares floored at 1e-4 so empty buckets give a large, finite
    score). Numeric columns are bucketed by ``bin_edges`` (usually the reference deciles),
    categorical ones by ``categories`` plus an "other" bucket that catches new values. Nulls are
    not counted: null rates have their own expectations. A batch with no non-null values fails.

    Args:
        column (str): The column to compare.
        reference_counts (list of float): {REFERENCE_COUNTS_DESCRIPTION}
        threshold (float): {THRESHOLD_DESCRIPTION} Rules of thumb: < 0.1 stable, > 0.25 shifted.
        bin_edges (list of float or None): {BIN_EDGES_DESCRIPTION}
        categories (list of str or None): {CATEGORIES_DESCRIPTION}
        reference_label (str or None): {REFERENCE_LABEL_DESCRIPTION}

    Code Examples:
        ExpectColumnPsiToBeLessThan(column="distance_km", bin_edges=[2.0, 4.0, 8.0],
                                    reference_counts=[250, 250, 250, 250], threshold=0.2)
        -> observed_value: 0.013 on a day shaped like the reference; 1.9 after a 3-sigma shift.
    """

    method: ClassVar[str] = "psi"

    class Config:
        title = "Expect column PSI to be less than"


class ExpectColumnJsDistanceToBeLessThan(_DriftExpectation):
    """Expect the Jensen-Shannon distance of a column from its reference distribution to be at most a threshold.

    The distance is the square root of the Jensen-Shannon divergence in base 2: 0 for identical
    distributions, 1 for disjoint ones; symmetric and finite even when a bucket is empty on one
    side. Buckets, nulls and empty batches are treated as in ExpectColumnPsiToBeLessThan.

    Args:
        column (str): The column to compare.
        reference_counts (list of float): {REFERENCE_COUNTS_DESCRIPTION}
        threshold (float): {THRESHOLD_DESCRIPTION} Between 0 and 1.
        bin_edges (list of float or None): {BIN_EDGES_DESCRIPTION}
        categories (list of str or None): {CATEGORIES_DESCRIPTION}
        reference_label (str or None): {REFERENCE_LABEL_DESCRIPTION}

    Code Examples:
        ExpectColumnJsDistanceToBeLessThan(column="payment_type", categories=["app", "card", "cash"],
                                           reference_counts=[45, 40, 15, 0], threshold=0.1)
        -> observed_value: 0.02 on a usual day; 0.16 when 5% of values are a new category.
    """

    method: ClassVar[str] = "js_distance"

    class Config:
        title = "Expect column Jensen-Shannon distance to be less than"


for _cls in (ExpectColumnPsiToBeLessThan, ExpectColumnJsDistanceToBeLessThan):
    _cls.__doc__ = (_cls.__doc__ or "").format(
        REFERENCE_COUNTS_DESCRIPTION=REFERENCE_COUNTS_DESCRIPTION,
        THRESHOLD_DESCRIPTION=THRESHOLD_DESCRIPTION,
        BIN_EDGES_DESCRIPTION=BIN_EDGES_DESCRIPTION,
        CATEGORIES_DESCRIPTION=CATEGORIES_DESCRIPTION,
        REFERENCE_LABEL_DESCRIPTION=REFERENCE_LABEL_DESCRIPTION,
    )
