"""What a training pipeline trains on: table, target, features, gates and window."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrainingSpec:
    """A pipeline: train ``target`` from the features of the validated days of ``table``."""

    pipeline: str
    table: str
    date_column: str
    target: str
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    data_checkpoint: str
    model_checkpoint: str
    holdout_days: int = 1
    min_train_days: int = 2

    @property
    def features(self) -> list[str]:
        return [*self.numeric, *self.categorical]
