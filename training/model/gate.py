"""What a model must satisfy to replace production: the primary metric and its direction, an
optional researcher baseline, the slices to compare, and the tolerances of the history checks.

Plain data, no heavy imports: the CLI's listing and DAG parsing read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TASKS = ("regression", "classification")
# Metrics recorded for every model of a task; the first one is the default primary metric.
TASK_METRICS = {
    "regression": ("mae", "rmse", "r2"),
    "classification": ("roc_auc", "log_loss", "accuracy", "f1"),
}
HIGHER_IS_BETTER = frozenset({"r2", "roc_auc", "accuracy", "f1"})
RATIO_FORMULAS = ("relative_diff", "max_over_min")


def direction(metric: str) -> str:
    """``higher_is_better`` for scores (R², ROC AUC, accuracy, F1), else ``lower_is_better``."""
    return "higher_is_better" if metric in HIGHER_IS_BETTER else "lower_is_better"


@dataclass(frozen=True)
class Baseline:
    """A value researchers expect the primary metric to reach, within ``tolerance``."""

    value: float
    tolerance: float = 0.1
    ratio_formula: str = "relative_diff"


@dataclass(frozen=True)
class GateTolerances:
    """How much worse than its history a model may be (fractions unless stated)."""

    production: float = 0.05  # primary metric vs the production model
    trend_slope: float = 0.05  # relative worsening per run over the last ``trend_runs`` runs
    trend_runs: int = 5
    slice_ratio: float = 2.0  # worst slice vs overall, as a ratio
    metadata: float = 0.5  # training size, cardinality, scale vs the median of recent runs
    top_features: int = 3  # how many top features to compare with production ...
    top_features_overlap: int = 2  # ... and how many of them must be shared


@dataclass(frozen=True)
class ModelGate:
    """The model checkpoint of one pipeline.

    ``model_checkpoint`` names a hand-written GX checkpoint; when it is None, trainguard
    generates ``<pipeline>_model`` from the other fields and keeps it in step with them.
    """

    pipeline: str
    task: str = "regression"
    metric: str = "mae"
    slice_by: tuple[str, ...] = ()
    baseline: Baseline | None = None
    tolerances: GateTolerances = field(default_factory=GateTolerances)
    model_checkpoint: str | None = None

    @property
    def checkpoint(self) -> str:
        return self.model_checkpoint or f"{self.pipeline}_model"

    @property
    def direction(self) -> str:
        return direction(self.metric)
