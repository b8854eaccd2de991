"""Model check: model metadata drift (size, cardinality, scale) against production."""

from __future__ import annotations

import math
import statistics
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from great_expectations.compatibility import pydantic

from training.checks.ratios import ratio
from training.gx.summary import number, percent

if TYPE_CHECKING:
    from great_expectations.execution_engine import ExecutionEngine

from training.checks.model.history import IF_NO_HISTORY_DESCRIPTION, META, RUNS_DESCRIPTION, AgainstHistory


class ExpectModelMetadataToBeStable(AgainstHistory):
    __doc__ = f"""Expect a model's metadata to stay close to the median of the previous training runs.

    Metadata keys are ``kind:name`` as recorded by training (rows:train, cardinality:<column>,
    mean/scale/min/max:<column>, importance:<feature>). Each key of the chosen ``kinds`` must be
    within ``threshold`` (relative_diff) of the median of the previous ``runs`` models.

    Args:
        kinds (list of str): Metadata kinds to compare. Default rows, cardinality, mean, scale, min, max.
        threshold (float): Largest relative difference, e.g. 0.5.
        runs (int): {RUNS_DESCRIPTION} Default 5.
        if_no_history (str): {IF_NO_HISTORY_DESCRIPTION}
    """

    kinds: list[str] = pydantic.Field(default_factory=lambda: ["rows", "cardinality", "mean", "scale", "min", "max"])
    threshold: float = pydantic.Field(ge=0)
    runs: int = pydantic.Field(5, ge=1, description=RUNS_DESCRIPTION)
    split: Literal["meta"] = pydantic.Field(META, description="Where training records metadata (fixed).")

    metric_dependencies = ("trainguard.model.history",)
    success_keys = ("kinds", "threshold", "runs", "if_no_history", "split")
    render_defaults: ClassVar[dict[str, Any]] = {"runs": 5, "if_no_history": "fail"}

    class Config:
        title = "Expect model metadata to be stable"

    def _validate(
        self, metrics: dict, runtime_configuration: dict | None = None, execution_engine: ExecutionEngine | None = None
    ) -> dict:
        history = metrics["trainguard.model.history"]
        values = history["values"]
        current = values.get(history["model_id"], {})
        previous = [values[m] for m in history["previous"] if m in values]
        if not previous:
            return self._no_history(f"no earlier model of pipeline {history['pipeline']} to compare metadata with")
        keys = sorted(k for k in current if k.split(":", 1)[0] in self.kinds)
        drifted = {}
        for key in keys:
            past = [p[key] for p in previous if key in p]
            if not past:
                continue
            reference = statistics.median(past)
            found = ratio("relative_diff", current[key], reference)
            if found > self.threshold:
                drifted[key] = {
                    "current": current[key],
                    "median": reference,
                    "relative_diff": None if math.isinf(found) else round(found, 4),
                }
        return {
            "success": not drifted,
            "result": {
                "observed_value": len(drifted),
                "details": {"compared": len(keys), "runs": len(previous), "drifted": drifted},
            },
        }

    @classmethod
    def _sentence(cls, kwargs: dict[str, Any]) -> str:
        return "Model metadata must stay within $threshold (relative) of the median of the last $runs runs."

    @classmethod
    def _measured(cls, kwargs: dict[str, Any]) -> str:
        return "model metadata"

    @classmethod
    def _observed_text(cls, observed: Any, details: dict[str, Any], kwargs: dict[str, Any]) -> str:
        drifted = details.get("drifted") or {}
        shown = "; ".join(f"{k} {number(v['current'])} vs {number(v['median'])}" for k, v in list(drifted.items())[:3])
        more = f" and {len(drifted) - 3} more" if len(drifted) > 3 else ""
        head = (
            f"{observed} of {details.get('compared')} keys drifted more than {percent(kwargs['threshold'])} "
            f"from the median of {details.get('runs')} runs"
        )
        return head + (f": {shown}{more}" if shown else "")
