"""Model check: the error trend over the last training runs."""

from __future__ import annotations

import math
import statistics
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from great_expectations.compatibility import pydantic

if TYPE_CHECKING:
    from great_expectations.execution_engine import ExecutionEngine

from training.checks.model.history import (
    DIRECTION_DESCRIPTION,
    IF_NO_HISTORY_DESCRIPTION,
    METRIC_DESCRIPTION,
    RUNS_DESCRIPTION,
    SPLIT_DESCRIPTION,
    AgainstHistory,
)
from training.gx.summary import number


def relative_slope(values: list[float]) -> float:
    """Least-squares slope per run, divided by the mean: +0.05 = error growing 5% per run."""
    n = len(values)
    mean_x, mean_y = (n - 1) / 2, statistics.fmean(values)
    denominator = sum((i - mean_x) ** 2 for i in range(n))
    slope = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values)) / denominator
    return slope / abs(mean_y) if mean_y else (0.0 if slope == 0 else math.inf)


class ExpectModelMetricNotToTrendWorse(AgainstHistory):
    __doc__ = f"""Expect a model metric not to degrade steadily over the last training runs.

    The values of the previous ``runs`` models of the pipeline and this one are fitted with a
    line; its slope divided by their mean is the relative change per run. For an error (lower
    is better) it must stay at or below ``max_relative_slope``; for a score, at or above its
    negative. Fewer than ``min_runs`` values in all is "too little history".

    Args:
        metric (str): {METRIC_DESCRIPTION}
        max_relative_slope (float): Largest allowed degradation per run, e.g. 0.05.
        split (str): {SPLIT_DESCRIPTION}
        runs (int): {RUNS_DESCRIPTION} Default 5.
        min_runs (int): Fewest values (this run included) to judge a trend. Default 3.
        direction (str): {DIRECTION_DESCRIPTION}
        if_no_history (str): {IF_NO_HISTORY_DESCRIPTION}
    """

    metric: str = pydantic.Field(description=METRIC_DESCRIPTION)
    max_relative_slope: float = pydantic.Field(ge=0)
    split: str = pydantic.Field("holdout", description=SPLIT_DESCRIPTION)
    runs: int = pydantic.Field(5, ge=1, description=RUNS_DESCRIPTION)
    min_runs: int = pydantic.Field(3, ge=2)
    direction: Literal["lower_is_better", "higher_is_better"] = "lower_is_better"

    metric_dependencies = ("trainguard.model.history",)
    success_keys = ("metric", "max_relative_slope", "split", "runs", "min_runs", "direction", "if_no_history")
    render_defaults: ClassVar[dict[str, Any]] = {"split": "holdout", "runs": 5, "if_no_history": "fail"}

    class Config:
        title = "Expect model metric not to trend worse"

    def _validate(
        self, metrics: dict, runtime_configuration: dict | None = None, execution_engine: ExecutionEngine | None = None
    ) -> dict:
        history = metrics["trainguard.model.history"]
        ordered = [*history["previous"], history["model_id"]]
        values = [history["values"].get(m, {}).get(self.metric) for m in ordered]
        values = [v for v in values if v is not None]
        if len(values) < self.min_runs:
            return self._no_history(
                f"only {len(values)} run(s) with {self.split} {self.metric}; a trend needs {self.min_runs}"
            )
        slope = relative_slope(values)
        degradation = slope if self.direction == "lower_is_better" else -slope
        return {
            "success": bool(degradation <= self.max_relative_slope),
            "result": {
                "observed_value": round(slope, 6),
                "details": {"values": [round(v, 6) for v in values], "max_relative_slope": self.max_relative_slope},
            },
        }

    @classmethod
    def _sentence(cls, kwargs: dict[str, Any]) -> str:
        return "$split $metric must not worsen by more than $max_relative_slope per run over the last $runs runs."

    @classmethod
    def _measured(cls, kwargs: dict[str, Any]) -> str:
        return f"trend of {kwargs['split']} {kwargs['metric']}"

    @classmethod
    def _observed_text(cls, observed: Any, details: dict[str, Any], kwargs: dict[str, Any]) -> str:
        shown = " -> ".join(number(v) for v in details.get("values", []))
        limit = details.get("max_relative_slope", kwargs.get("max_relative_slope"))
        better = "lower" if kwargs.get("direction", "lower_is_better") == "lower_is_better" else "higher"
        return (
            f"{observed:+.1%} per run ({shown}); worsening of at most {limit:.1%} per run allowed ({better} is better)"
        )
