"""Record a fitted model: metrics, slices and metadata in the registry, the artifact in the store."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from training.core.errors import TrainguardError
from training.core.settings import Settings, get_settings
from training.model.estimators import evaluate
from training.model.metadata import META_SPLIT, model_metadata, slice_metrics
from training.model.registry import register_model
from training.model.store import save_model
from training.warehouse.engine import get_engine

if TYPE_CHECKING:
    import pandas as pd

    from training.model.gate import ModelGate


@dataclass(frozen=True)
class RecordedModel:
    model_id: str
    metrics: dict[str, dict[str, float]]  # split (train, holdout, slice:col=value, meta) -> name -> value


def split_features(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Numeric and categorical columns of ``frame`` by dtype (booleans count as categorical)."""
    import pandas as pd

    numeric = [
        c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    ]
    return numeric, [c for c in frame.columns if c not in numeric]


def _fingerprint(gate: ModelGate, day: dt.date, estimator: Any, parts: Sequence[Any]) -> str:
    """Same pipeline, day, estimator and data, same id: a rerun replaces its own record."""
    import pandas as pd

    digest = hashlib.sha256()
    params = estimator.get_params(deep=False) if hasattr(estimator, "get_params") else {}
    head = {"pipeline": gate.pipeline, "day": day.isoformat(), "estimator": type(estimator).__qualname__}
    digest.update(json.dumps({**head, "params": {k: repr(v) for k, v in sorted(params.items())}}).encode())
    for part in parts:
        digest.update(repr(list(getattr(part, "columns", [getattr(part, "name", "")]))).encode())
        digest.update(pd.util.hash_pandas_object(part, index=False).values.tobytes())
    return f"{gate.pipeline}-{day:%Y%m%d}-{digest.hexdigest()[:8]}"


def _check_frames(gate: ModelGate, x_train: Any, y_train: Any, x_holdout: Any, y_holdout: Any) -> None:
    if len(x_train) != len(y_train) or len(x_holdout) != len(y_holdout):
        raise TrainguardError("features and target differ in length (train or holdout)")
    if len(x_train) == 0 or len(x_holdout) == 0:
        raise TrainguardError("training and holdout data must both have rows")
    missing = [c for c in gate.slice_by if c not in x_holdout.columns]
    if missing:
        raise TrainguardError(f"slice_by column(s) {missing} are not columns of the holdout features")


def record_model(
    gate: ModelGate,
    estimator: Any,
    x_train: pd.DataFrame,
    y_train: pd.Series,
    x_holdout: pd.DataFrame,
    y_holdout: pd.Series,
    day: dt.date,
    *,
    days: Sequence[dt.date] = (),
    numeric: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
    settings: Settings | None = None,
) -> RecordedModel:
    """Evaluate the fitted ``estimator`` and store it as a candidate model of ``gate.pipeline``.

    Metrics of ``gate.task`` on train and holdout, holdout metrics per ``gate.slice_by`` value,
    and metadata (sizes, cardinality of ``categorical``, scale of ``numeric``, importances;
    both inferred from dtypes when not given) go to the registry in one transaction; the
    artifact is written atomically. ``days`` are the data days behind the model.
    """
    import pandas as pd

    _check_frames(gate, x_train, y_train, x_holdout, y_holdout)
    if numeric is None or categorical is None:
        numeric, categorical = split_features(x_train)
    # Positional alignment: callers pass frames and targets cut from the same rows.
    x_train, x_holdout = x_train.reset_index(drop=True), x_holdout.reset_index(drop=True)
    y_train, y_holdout = (pd.Series(y).reset_index(drop=True) for y in (y_train, y_holdout))
    metrics = {
        "train": evaluate(gate.task, estimator, x_train, y_train),
        "holdout": evaluate(gate.task, estimator, x_holdout, y_holdout),
        **slice_metrics(gate.task, estimator, x_holdout, y_holdout, gate.slice_by),
        META_SPLIT: model_metadata(estimator, x_train, x_holdout, y_holdout, numeric, categorical),
    }
    if gate.metric not in metrics["holdout"]:
        raise TrainguardError(
            f"metric {gate.metric!r} could not be computed on the holdout (got {sorted(metrics['holdout'])}); "
            "for roc_auc/log_loss the estimator needs predict_proba and the holdout both classes"
        )
    settings = settings or get_settings()
    model_id = _fingerprint(gate, day, estimator, [x_train, y_train, x_holdout, y_holdout])
    spanned = sorted(days) or [day]
    record = {
        "model_id": model_id,
        "pipeline": gate.pipeline,
        "trained_for": day.isoformat(),
        "window_start": spanned[0].isoformat(),
        "window_end": spanned[-1].isoformat(),
        "train_rows": len(x_train),
        "holdout_rows": len(x_holdout),
        "created_at": dt.datetime.now(dt.UTC),
        "status": "candidate",
    }
    path = save_model(settings.model_store, model_id, estimator, {**record, "metrics": metrics})
    register_model(get_engine(settings.warehouse_url), {**record, "path": str(path)}, metrics)
    return RecordedModel(model_id, metrics)
