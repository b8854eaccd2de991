"""A training pipeline as read from its file: data, features, estimator, window and gate.

Plain data with no heavy imports: DAG files build one DAG per spec at parse time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.model.gate import Baseline, GateTolerances, ModelGate


@dataclass(frozen=True)
class AirflowOptions:
    """How the pipeline's DAG is scheduled and which volume change its SQL check allows."""

    dag_id: str | None = None
    schedule: str | None = "@daily"
    start_date: dt.date = dt.date(2026, 1, 1)
    volume_days_back: int = 7
    volume_max_ratio: float = 1.5


@dataclass(frozen=True)
class PipelineSpec:
    """Train ``target`` from ``numeric`` + ``categorical`` features of the validated days of ``table``.

    ``holdout_days`` (the last validated days of the window) or ``holdout_fraction`` (a seeded
    random share of the window's rows) is the data the model is judged on. Days of the window
    that fail ``data_checkpoint`` are left out (``failed_days="exclude"``) or stop the run
    (``"stop"``); the run's own day must always pass.
    """

    pipeline: str
    table: str
    date_column: str
    target: str
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    data_checkpoint: str
    task: str = "regression"
    estimator: str = "sklearn.ensemble.HistGradientBoostingRegressor"
    params: dict[str, Any] = field(default_factory=dict)
    train_window_days: int | None = None
    holdout_days: int | None = 1
    holdout_fraction: float | None = None
    min_train_days: int = 2
    metric: str = "mae"
    slice_by: tuple[str, ...] = ()
    baseline: Baseline | None = None
    tolerances: GateTolerances = field(default_factory=GateTolerances)
    model_checkpoint: str | None = None
    failed_days: str = "exclude"
    airflow: AirflowOptions = field(default_factory=AirflowOptions)
    description: str = ""
    source: Path | None = field(default=None, compare=False)

    @property
    def features(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    @property
    def gate(self) -> ModelGate:
        return ModelGate(
            pipeline=self.pipeline,
            task=self.task,
            metric=self.metric,
            slice_by=self.slice_by,
            baseline=self.baseline,
            tolerances=self.tolerances,
            model_checkpoint=self.model_checkpoint,
        )

    @property
    def model_checkpoint_name(self) -> str:
        return self.gate.checkpoint

    @property
    def dag_id(self) -> str:
        return self.airflow.dag_id or f"trainguard_{self.pipeline}"

    def window_days(self, default: int) -> int:
        return self.train_window_days or default
