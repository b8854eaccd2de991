"""Model check: the new model against the production model."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from great_expectations.compatibility import pydantic

from training.checks.model.baseline import is_worse
from training.checks.ratios import RATIO_FORMULAS, ratio
from training.checks.rendering import against

if TYPE_CHECKING:
    from great_expectations.execution_engine import ExecutionEngine

from training.checks.model.history import (
    DIRECTION_DESCRIPTION,
    IF_NO_HISTORY_DESCRIPTION,
    METRIC_DESCRIPTION,
    SPLIT_DESCRIPTION,
    AgainstHistory,
)


class ExpectModelMetricToBeWithinProduction(AgainstHistory):
    __doc__ = f"""Expect a model metric not to be worse than the production model's by more than a threshold.

    With ``threshold`` 0 the model must be at least as good as production ("better than
    production"). The production model is the pipeline's current one in the registry.

    Args:
        metric (str): {METRIC_DESCRIPTION}
        threshold (float): Largest allowed ratio when worse: a fraction for 'relative_diff',
            a factor >= 1 for 'max_over_min'.
        split (str): {SPLIT_DESCRIPTION}
        ratio_formula (str): 'relative_diff' (default) or 'max_over_min'.
        direction (str): {DIRECTION_DESCRIPTION}
        if_no_history (str): {IF_NO_HISTORY_DESCRIPTION}
    """

    metric: str = pydantic.Field(description=METRIC_DESCRIPTION)
    threshold: float = pydantic.Field(ge=0)
    split: str = pydantic.Field("holdout", description=SPLIT_DESCRIPTION)
    ratio_formula: Literal[RATIO_FORMULAS] = "relative_diff"  # type: ignore[valid-type]
    direction: Literal["lower_is_better", "higher_is_better"] = "lower_is_better"

    metric_dependencies = ("trainguard.model.history",)
    success_keys = ("metric", "threshold", "split", "ratio_formula", "direction", "if_no_history")
    render_defaults: ClassVar[dict[str, Any]] = {
        "split": "holdout",
        "ratio_formula": "relative_diff",
        "direction": "lower_is_better",
        "if_no_history": "fail",
    }

    class Config:
        title = "Expect model metric to be within production"

    def _validate(
        self, metrics: dict, runtime_configuration: dict | None = None, execution_engine: ExecutionEngine | None = None
    ) -> dict:
        history = metrics["trainguard.model.history"]
        values = history["values"]
        current = values.get(history["model_id"], {}).get(self.metric)
        if current is None:
            return {
                "success": False,
                "result": {"observed_value": None, "details": {"reason": f"no {self.split} {self.metric} recorded"}},
            }
        prod = history["production"]
        if prod is None:
            return self._no_history(f"no production model yet for pipeline {history['pipeline']}", current)
        baseline = values.get(prod, {}).get(self.metric)
        if baseline is None:
            return self._no_history(f"production model {prod} has no {self.split} {self.metric}", current)
        found = ratio(self.ratio_formula, current, baseline)
        worse = is_worse(current, baseline, self.direction)
        return {
            "success": bool(not worse or found <= self.threshold),
            "result": {
                "observed_value": current,
                "details": {
                    "production_model": prod,
                    "baseline": baseline,
                    "ratio": None if math.isinf(found) else round(found, 6),
                    "ratio_formula": self.ratio_formula,
                    "worse_than_baseline": bool(worse),
                },
            },
        }

    @classmethod
    def _sentence(cls, kwargs: dict[str, Any]) -> str:
        return "$split $metric must not be worse than the production model's by more than $threshold ($ratio_formula)."

    @classmethod
    def _measured(cls, kwargs: dict[str, Any]) -> str:
        return f"{kwargs['split']} {kwargs['metric']}"

    @classmethod
    def _observed_text(cls, observed: Any, details: dict[str, Any], kwargs: dict[str, Any]) -> str:
        # ``baseline`` in the result is the production model's value: named so in words.
        return against(
            observed,
            details.get("baseline"),
            "production",
            worse=bool(details.get("worse_than_baseline")),
            formula=details.get("ratio_formula"),
            found=details.get("ratio"),
            threshold=kwargs.get("threshold"),
            whose=f"model {details['production_model']}" if details.get("production_model") else "",
        )
