"""Model metric against a baseline: a researcher-given value the new model must not fall behind.

The batch is a model's rows of the metrics table (columns ``metric``, ``split``, ``value``), as
written by training; the metric provider reads one value in the database or in pandas.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from great_expectations.compatibility import pydantic
from great_expectations.compatibility.sqlalchemy import sqlalchemy as sa
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine import PandasExecutionEngine, SqlAlchemyExecutionEngine
from great_expectations.expectations.expectation import BatchExpectation
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider

from training.checks.ratios import ratio
from training.checks.rendering import TextRenderers, against

if TYPE_CHECKING:
    from great_expectations.execution_engine import ExecutionEngine

EXPECTATION_SHORT_DESCRIPTION = "Expect a model metric not to be worse than a baseline value by more than a threshold."
METRIC_DESCRIPTION = "Name of the metric as recorded by training, e.g. 'mae'."
SPLIT_DESCRIPTION = "Data split the metric was measured on: 'train', 'holdout' or a slice name."
BASELINE_DESCRIPTION = "The reference value, e.g. a researcher-given error."
THRESHOLD_DESCRIPTION = (
    "Largest allowed ratio when the metric is worse than the baseline: a fraction for "
    "'relative_diff' (0.1 = 10% worse), a factor >= 1 for 'max_over_min'."
)
RATIO_FORMULA_DESCRIPTION = "How current and baseline are compared: 'relative_diff' or 'max_over_min'."
DIRECTION_DESCRIPTION = "'lower_is_better' for errors, 'higher_is_better' for scores such as R^2."

# Defaults are not written to the suite JSON when equal to the field default, so the renderer
# (which only sees the stored kwargs) applies the same ones.
DEFAULTS: dict[str, Any] = {
    "split": "holdout",
    "ratio_formula": "relative_diff",
    "direction": "lower_is_better",
}


class ModelMetricValue(TableMetricProvider):
    """The ``value`` of the row whose ``metric`` and ``split`` match; None when there is none."""

    metric_name = "trainguard.model_metric.value"
    value_keys = ("metric", "split")
    default_kwarg_values = {"split": DEFAULTS["split"]}

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(
        cls,
        execution_engine: PandasExecutionEngine,
        metric_domain_kwargs: dict,
        metric_value_kwargs: dict,
        metrics: dict[str, Any],
        runtime_configuration: dict,
    ) -> float | None:
        df, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE)
        hit = df[(df["metric"] == metric_value_kwargs["metric"]) & (df["split"] == metric_value_kwargs["split"])]
        return _single_value(hit["value"].tolist())

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(
        cls,
        execution_engine: SqlAlchemyExecutionEngine,
        metric_domain_kwargs: dict,
        metric_value_kwargs: dict,
        metrics: dict[str, Any],
        runtime_configuration: dict,
    ) -> float | None:
        selectable, _, _ = execution_engine.get_compute_domain(
            metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE
        )
        query = (
            sa.select(sa.column("value"))
            .select_from(selectable)
            .where(
                sa.column("metric") == sa.bindparam("m", metric_value_kwargs["metric"]),
                sa.column("split") == sa.bindparam("s", metric_value_kwargs["split"]),
            )
        )
        with execution_engine.get_connection() as conn:
            return _single_value([row[0] for row in conn.execute(query)])


def _single_value(values: list[Any]) -> float | None:
    if not values:
        return None
    if len(values) > 1:
        raise ValueError(f"expected one recorded value, found {len(values)}")
    return float(values[0])


def is_worse(current: float, baseline: float, direction: str) -> bool:
    return current > baseline if direction == "lower_is_better" else current < baseline


class ExpectModelMetricToBeWithinBaseline(TextRenderers, BatchExpectation):
    __doc__ = f"""{EXPECTATION_SHORT_DESCRIPTION}

    A metric that is better than the baseline always passes. A worse one passes while its
    ratio to the baseline (``relative_diff`` = |current - baseline| / |baseline|, or
    ``max_over_min`` = max / min) stays within ``threshold``. A metric that was not recorded
    fails with an explicit message rather than passing.

    Args:
        metric (str): {METRIC_DESCRIPTION}
        baseline (float): {BASELINE_DESCRIPTION}
        threshold (float): {THRESHOLD_DESCRIPTION}
        split (str): {SPLIT_DESCRIPTION} Default 'holdout'.
        ratio_formula (str): {RATIO_FORMULA_DESCRIPTION} Default 'relative_diff'.
        direction (str): {DIRECTION_DESCRIPTION} Default 'lower_is_better'.

    Code Examples:
        Passing case (metrics rows: mae/holdout = 3.2):
            ExpectModelMetricToBeWithinBaseline(metric="mae", baseline=3.0, threshold=0.1)
            -> success: true, observed_value: 3.2 (relative_diff 0.067)
        Failing case (same rows):
            ExpectModelMetricToBeWithinBaseline(metric="mae", baseline=2.5, threshold=0.1)
            -> success: false, observed_value: 3.2 (relative_diff 0.28)
    """

    metric: str = pydantic.Field(description=METRIC_DESCRIPTION)
    baseline: float = pydantic.Field(description=BASELINE_DESCRIPTION)
    threshold: float = pydantic.Field(description=THRESHOLD_DESCRIPTION, ge=0)
    split: str = pydantic.Field(DEFAULTS["split"], description=SPLIT_DESCRIPTION)
    ratio_formula: Literal["max_over_min", "relative_diff"] = pydantic.Field(
        DEFAULTS["ratio_formula"], description=RATIO_FORMULA_DESCRIPTION
    )
    direction: Literal["lower_is_better", "higher_is_better"] = pydantic.Field(
        DEFAULTS["direction"], description=DIRECTION_DESCRIPTION
    )

    render_defaults: ClassVar[dict[str, Any]] = DEFAULTS
    library_metadata: ClassVar[dict[str, Any]] = {
        "maturity": "experimental",
        "tags": ["trainguard", "model validation"],
        "contributors": ["trainguard"],
    }

    metric_dependencies = ("trainguard.model_metric.value",)
    success_keys = ("metric", "split", "baseline", "threshold", "ratio_formula", "direction")
    args_keys = ("metric", "baseline", "threshold")

    class Config:
        title = "Expect model metric to be within baseline"

    def _validate(
        self,
        metrics: dict,
        runtime_configuration: dict | None = None,
        execution_engine: ExecutionEngine | None = None,
    ) -> dict:
        current = metrics.get("trainguard.model_metric.value")
        if current is None:
            return {
                "success": False,
                "result": {
                    "observed_value": None,
                    "details": {"reason": f"no {self.split} value recorded for metric {self.metric!r}"},
                },
            }
        observed_ratio = ratio(self.ratio_formula, current, self.baseline)
        worse = is_worse(current, self.baseline, self.direction)
        success = (not worse) or observed_ratio <= self.threshold
        return {
            "success": bool(success),
            "result": {
                "observed_value": current,
                "details": {
                    "baseline": self.baseline,
                    "ratio": None if math.isinf(observed_ratio) else round(observed_ratio, 6),
                    "ratio_formula": self.ratio_formula,
                    "worse_than_baseline": bool(worse),
                },
            },
        }

    @classmethod
    def _sentence(cls, kwargs: dict[str, Any]) -> str:
        better = "lower" if kwargs["direction"] == "lower_is_better" else "higher"
        return (
            "$split $metric must not be worse than the baseline $baseline by more than "
            f"$threshold ($ratio_formula; {better} is better)."
        )

    @classmethod
    def _measured(cls, kwargs: dict[str, Any]) -> str:
        return f"{kwargs['split']} {kwargs['metric']}"

    @classmethod
    def _observed_text(cls, observed: Any, details: dict[str, Any], kwargs: dict[str, Any]) -> str:
        return against(
            observed,
            details.get("baseline"),
            "baseline",
            worse=bool(details.get("worse_than_baseline")),
            formula=details.get("ratio_formula"),
            found=details.get("ratio"),
            threshold=kwargs.get("threshold"),
        )
