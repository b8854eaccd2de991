"""Model check: the model's most important features against production."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from great_expectations.compatibility import pydantic

if TYPE_CHECKING:
    from great_expectations.execution_engine import ExecutionEngine

from training.checks.model.history import IF_NO_HISTORY_DESCRIPTION, META, AgainstHistory


class ExpectModelTopFeaturesToBeStable(AgainstHistory):
    __doc__ = f"""Expect the model's most important features to overlap with the previous model's.

    Importances are recorded by training (``importance:<feature>``: the estimator's
    ``feature_importances_`` or ``|coef_|``, else permutation importance on the holdout). The
    top ``k`` features of this model and of the production model (or, without one, of the last
    accepted training run) must share at least ``min_overlap``.

    Args:
        k (int): How many top features to compare. Default 3.
        min_overlap (int): Fewest shared features.
        if_no_history (str): {IF_NO_HISTORY_DESCRIPTION}
    """

    k: int = pydantic.Field(3, ge=1)
    min_overlap: int = pydantic.Field(ge=0)
    split: Literal["meta"] = pydantic.Field(META, description="Where training records metadata (fixed).")

    metric_dependencies = ("trainguard.model.history",)
    success_keys = ("k", "min_overlap", "if_no_history", "split")
    render_defaults: ClassVar[dict[str, Any]] = {"k": 3, "if_no_history": "fail"}

    class Config:
        title = "Expect model top features to be stable"

    def _validate(
        self, metrics: dict, runtime_configuration: dict | None = None, execution_engine: ExecutionEngine | None = None
    ) -> dict:
        history = metrics["trainguard.model.history"]
        values = history["values"]
        # The model it would replace; without one, the last accepted run.
        production = history["production"] if history["production"] != history["model_id"] else None
        reference = production or (history["previous"][-1] if history["previous"] else None)
        if reference is None or reference not in values:
            return self._no_history(f"no earlier model of pipeline {history['pipeline']} to compare importances with")
        now, before = _top(values.get(history["model_id"], {}), self.k), _top(values[reference], self.k)
        shared = [f for f in now if f in before]
        return {
            "success": len(shared) >= self.min_overlap,
            "result": {
                "observed_value": len(shared),
                "details": {"top": now, "previous_top": before, "previous_model": reference},
            },
        }

    @classmethod
    def _sentence(cls, kwargs: dict[str, Any]) -> str:
        return "At least $min_overlap of the top $k features must be among the replaced model's top $k."

    @classmethod
    def _measured(cls, kwargs: dict[str, Any]) -> str:
        return f"top {kwargs['k']} features"

    @classmethod
    def _observed_text(cls, observed: Any, details: dict[str, Any], kwargs: dict[str, Any]) -> str:
        now, before = ", ".join(details.get("top", [])), ", ".join(details.get("previous_top", []))
        return (
            f"{observed} shared with {details.get('previous_model')}, at least {kwargs.get('min_overlap')} "
            f"needed: now {now}; before {before}"
        )


def _top(meta: dict[str, float], k: int) -> list[str]:
    found = {key.split(":", 1)[1]: value for key, value in meta.items() if key.startswith("importance:")}
    return sorted(found, key=lambda f: (-found[f], f))[:k]
