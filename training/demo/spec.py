"""The demo pipeline: predict trip duration from the ``trips`` table."""

from __future__ import annotations

from training.demo.generate import CATEGORICAL, DATE_COLUMN, NUMERIC, TABLE, TARGET
from training.model.spec import TrainingSpec

DEMO_SPEC = TrainingSpec(
    pipeline="trips_duration",
    table=TABLE,
    date_column=DATE_COLUMN,
    target=TARGET,
    numeric=tuple(NUMERIC),
    categorical=tuple(CATEGORICAL),
    data_checkpoint="trips_daily",
    model_checkpoint="trips_model",
)
