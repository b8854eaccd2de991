"""Train a pipeline's model on its validated days and record it with its metrics."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from training.errors import TrainguardError
from training.model.metadata import META_SPLIT, model_metadata, slice_metrics
from training.model.registry import register_model
from training.model.store import save_model
from training.quality.history import passed_days
from training.settings import Settings, get_settings
from training.warehouse.engine import get_engine
from training.warehouse.partitions import read_days

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.pipeline import Pipeline

    from training.model.spec import TrainingSpec


@dataclass(frozen=True)
class TrainingResult:
    model_id: str
    train_days: list[str]
    holdout_days: list[str]
    metrics: dict[str, dict[str, float]]  # split (train, holdout, slice:col=value, meta) -> name -> value


def build_estimator(spec: TrainingSpec) -> Pipeline:
    """Preprocessing (impute + scale numeric, one-hot categorical) and a gradient-boosted model."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]
    )
    features = ColumnTransformer(
        [("numeric", numeric, list(spec.numeric)), ("categorical", categorical, list(spec.categorical))]
    )
    model = HistGradientBoostingRegressor(max_iter=200, learning_rate=0.1, random_state=0)
    return Pipeline([("features", features), ("model", model)])


def regression_metrics(y_true: Any, y_pred: Any) -> dict[str, float]:
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    return {
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "rmse": float(mean_squared_error(y_true, y_pred) ** 0.5),
        "r2": float(r2_score(y_true, y_pred)),
    }


def _split_days(spec: TrainingSpec, days: list[dt.date], window: tuple[dt.date, dt.date]) -> tuple[list, list]:
    needed = spec.min_train_days + spec.holdout_days
    if len(days) < needed:
        raise TrainguardError(
            f"only {len(days)} validated day(s) of {spec.table} between {window[0]} and {window[1]}; "
            f"training needs at least {needed} (run the {spec.data_checkpoint!r} checkpoint first)"
        )
    return days[: -spec.holdout_days], days[-spec.holdout_days :]


def _model_id(spec: TrainingSpec, day: dt.date, days: list[dt.date]) -> str:
    # Same inputs, same id: a rerun replaces its own record instead of adding a duplicate.
    fingerprint = json.dumps({"spec": asdict(spec), "days": [d.isoformat() for d in days]}, sort_keys=True)
    return f"{spec.pipeline}-{day:%Y%m%d}-{hashlib.sha256(fingerprint.encode()).hexdigest()[:8]}"


def train_for_day(spec: TrainingSpec, day: dt.date, settings: Settings | None = None) -> TrainingResult:
    """Train on the validated days in the window ending at ``day``; the last days are the holdout."""
    settings = settings or get_settings()
    engine = get_engine(settings.warehouse_url)
    window = (day - dt.timedelta(days=settings.train_window_days - 1), day)
    days = passed_days(engine, spec.data_checkpoint, *window)
    train_days, holdout_days = _split_days(spec, days, window)
    frame = read_days(engine, spec.table, spec.date_column, days, [*spec.features, spec.target])
    frame = frame.dropna(subset=[spec.target])
    is_holdout = frame[spec.date_column].isin([d.isoformat() for d in holdout_days])
    train, holdout = frame[~is_holdout], frame[is_holdout]
    estimator = build_estimator(spec).fit(train[spec.features], train[spec.target])
    metrics = {
        "train": regression_metrics(train[spec.target], estimator.predict(train[spec.features])),
        "holdout": regression_metrics(holdout[spec.target], estimator.predict(holdout[spec.features])),
        **slice_metrics(spec, estimator, holdout, regression_metrics),
        META_SPLIT: model_metadata(spec, estimator, train, holdout),
    }
    model_id = _model_id(spec, day, days)
    record = _record(spec, model_id, day, days, train, holdout)
    path = save_model(settings.model_store, model_id, estimator, {**record, "metrics": metrics})
    register_model(engine, {**record, "path": str(path)}, metrics)
    return TrainingResult(
        model_id=model_id,
        train_days=[d.isoformat() for d in train_days],
        holdout_days=[d.isoformat() for d in holdout_days],
        metrics=metrics,
    )


def _record(
    spec: TrainingSpec,
    model_id: str,
    day: dt.date,
    days: list[dt.date],
    train: pd.DataFrame,
    holdout: pd.DataFrame,
) -> dict[str, Any]:
    return {
        "model_id": model_id,
        "pipeline": spec.pipeline,
        "trained_for": day.isoformat(),
        "window_start": days[0].isoformat(),
        "window_end": days[-1].isoformat(),
        "train_rows": len(train),
        "holdout_rows": len(holdout),
        "created_at": dt.datetime.now(dt.UTC),
        "status": "candidate",
    }
