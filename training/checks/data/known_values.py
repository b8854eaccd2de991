"""Answers about a categorical column from the counts of its known values.

A scaffolded categorical column has a known value set, and its drift expectations already count
each known value plus one "other" bucket inside the batch's bundled query
(``trainguard.column.bucket_counts`` with ``categories``). When no value falls outside the known
set, those counts decide the distinct count exactly, and they decide the most common value
whenever its count exceeds everything outside the set: no grouped scan of the day is needed.
Metrics here declare that bucket-count metric as a dependency (GX computes one metric once,
however many expectations ask for it) and scan only when the counts cannot decide.
"""

from __future__ import annotations

from typing import Any

from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from great_expectations.validator.metric_configuration import MetricConfiguration

from training.checks.data.bucket_sums import unpack

BUCKET_COUNTS = "trainguard.column.bucket_counts"
KNOWN_VALUES_DESCRIPTION = (
    "Values the column is known to take (its scaffolded value set). Optional: when given, the "
    "result comes from the counts of these values in the batch's shared aggregate query, and a "
    "grouped scan runs only if the counts cannot decide it."
)


class KnownValueCounts:
    """Mixin for a column metric with the value key ``known_values``: on SQL engines it depends on
    the known values' bucket counts, the same metric configuration as the drift expectations'
    on that column, so GX computes it once."""

    value_keys = ("known_values",)

    @classmethod
    def _get_evaluation_dependencies(
        cls,
        metric: MetricConfiguration,
        configuration: Any = None,
        execution_engine: Any = None,
        runtime_configuration: dict | None = None,
    ) -> dict:
        dependencies = super()._get_evaluation_dependencies(  # type: ignore[misc]
            metric=metric,
            configuration=configuration,
            execution_engine=execution_engine,
            runtime_configuration=runtime_configuration,
        )
        known = _unique((metric.metric_value_kwargs or {}).get("known_values"))
        if known and isinstance(execution_engine, SqlAlchemyExecutionEngine):
            dependencies[BUCKET_COUNTS] = MetricConfiguration(
                metric_name=BUCKET_COUNTS,
                metric_domain_kwargs=metric.metric_domain_kwargs,
                metric_value_kwargs={"bin_edges": None, "categories": known},
            )
        return dependencies


def known_counts(metrics: dict[str, Any], known_values: list | None) -> tuple[dict[str, int], int] | None:
    """``({known value: count}, count of other non-null values)``, or None without the dependency."""
    if not known_values or BUCKET_COUNTS not in metrics:
        return None
    counts = unpack(metrics[BUCKET_COUNTS])
    return dict(zip(_unique(known_values), counts[:-1], strict=True)), counts[-1]


def _unique(values: list | None) -> list[str]:
    """The known values as the drift checks' categories: text, each once, in the given order."""
    return list(dict.fromkeys(str(v) for v in values or []))
