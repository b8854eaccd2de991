"""Train a pipeline's model on its validated days and record it with its metrics."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from training.core.errors import TrainguardError
from training.core.settings import Settings, get_settings
from training.gx.record.history import latest_outcomes
from training.model.estimators import make_estimator, with_preprocessing
from training.model.record import record_model
from training.warehouse.engine import get_engine
from training.warehouse.partitions import days_between, read_days

if TYPE_CHECKING:
    import pandas as pd

    from training.model.pipeline_spec import PipelineSpec


class TooFewDaysError(TrainguardError):
    """The window does not hold enough validated days for training plus holdout."""


@dataclass(frozen=True)
class TrainingResult:
    model_id: str
    train_days: list[str]
    holdout_days: list[str]
    metrics: dict[str, dict[str, float]]  # split (train, holdout, slice:col=value, meta) -> name -> value
    excluded_days: list[str]  # days of the window whose data validation failed or never ran
    train_rows: int = 0
    holdout_rows: int = 0


def window_days(spec: PipelineSpec, day: dt.date, settings: Settings) -> tuple[list[dt.date], list[dt.date]]:
    """The validated days of the window ending at ``day``, and the days left out."""
    engine = get_engine(settings.warehouse_url)
    span = spec.window_days(settings.train_window_days)
    every = days_between(day - dt.timedelta(days=span - 1), day)
    latest = latest_outcomes(engine, spec.data_checkpoint, [d.isoformat() for d in every])
    passed = [d for d in every if latest.get(d.isoformat(), {}).get("success")]
    failed = [d for d in every if d.isoformat() in latest and not latest[d.isoformat()]["success"]]
    if day not in passed:
        state = "failed" if day in failed else "has not been run"
        raise TrainguardError(
            f"day {day} of {spec.table}: its {spec.data_checkpoint!r} validation {state}; "
            "a model is only trained for a day whose data passed (run the checkpoint first)"
        )
    if failed and spec.failed_days == "stop":
        raise TrainguardError(
            f"{len(failed)} day(s) of the window failed {spec.data_checkpoint!r} "
            f"({', '.join(d.isoformat() for d in failed)}) and failed_days is 'stop'"
        )
    return passed, [d for d in every if d not in passed]


def _split(spec: PipelineSpec, days: list[dt.date], frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list]:
    """Train and holdout rows: the last ``holdout_days`` days, or a seeded random fraction."""
    if spec.holdout_fraction is not None:
        from sklearn.model_selection import train_test_split

        labels = frame[spec.target]
        stratify = labels if spec.task == "classification" and labels.value_counts().min() >= 2 else None
        train, holdout = train_test_split(frame, test_size=spec.holdout_fraction, random_state=0, stratify=stratify)
        return train, holdout, []
    needed = spec.min_train_days + (spec.holdout_days or 1)
    if len(days) < needed:
        raise TooFewDaysError(
            f"only {len(days)} validated day(s) of {spec.table} in the window ending {days[-1]}; "
            f"training needs at least {needed} ({spec.min_train_days} to train, {spec.holdout_days} holdout)"
        )
    holdout_days = days[-(spec.holdout_days or 1) :]
    is_holdout = frame[spec.date_column].isin([d.isoformat() for d in holdout_days])
    return frame[~is_holdout], frame[is_holdout], holdout_days


def train_for_day(spec: PipelineSpec, day: dt.date, settings: Settings | None = None) -> TrainingResult:
    """Fit ``spec``'s estimator on the validated days of the window ending at ``day`` and record it."""
    settings = settings or get_settings()
    days, excluded = window_days(spec, day, settings)
    engine = get_engine(settings.warehouse_url)
    frame = read_days(engine, spec.table, spec.date_column, days, [*spec.features, spec.target])
    frame = frame.dropna(subset=[spec.target])
    train, holdout, holdout_days = _split(spec, days, frame)
    if train.empty or holdout.empty:
        raise TrainguardError(f"no labelled rows to {'train on' if train.empty else 'hold out'} for {day}")
    estimator = make_estimator(spec.estimator, spec.params, spec.task)
    model = with_preprocessing(estimator, spec.numeric, spec.categorical)
    model.fit(train[spec.features], train[spec.target])
    recorded = record_model(
        spec.gate,
        model,
        train[spec.features],
        train[spec.target],
        holdout[spec.features],
        holdout[spec.target],
        day,
        days=days,
        numeric=spec.numeric,
        categorical=spec.categorical,
        settings=settings,
    )
    return TrainingResult(
        model_id=recorded.model_id,
        train_days=[d.isoformat() for d in days if d not in holdout_days],
        holdout_days=[d.isoformat() for d in holdout_days],
        metrics=recorded.metrics,
        excluded_days=[d.isoformat() for d in excluded],
        train_rows=len(train),
        holdout_rows=len(holdout),
    )
