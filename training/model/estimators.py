"""Estimators named in configuration, the preprocessing around them, and task metrics."""

from __future__ import annotations

import importlib
import inspect
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from training.core.errors import TrainguardError
from training.model.gate import TASK_METRICS

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline


def estimator_class(path: str) -> type:
    """Import ``package.module.Class``; errors name what could not be found."""
    module_name, _, class_name = path.rpartition(".")
    if not module_name:
        raise TrainguardError(f"model.estimator {path!r} must be a dotted path such as sklearn.linear_model.Ridge")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise TrainguardError(f"model.estimator {path!r}: cannot import module {module_name!r} ({exc})") from None
    found = getattr(module, class_name, None)
    if not inspect.isclass(found) or not hasattr(found, "fit"):
        raise TrainguardError(f"model.estimator {path!r}: {module_name} has no estimator class {class_name!r}")
    return found


def make_estimator(path: str, params: Mapping[str, Any], task: str) -> Any:
    """An unfitted estimator of class ``path`` with ``params``, checked against ``task``."""
    from sklearn.base import is_classifier, is_regressor

    cls = estimator_class(path)
    try:
        estimator = cls(**dict(params))
    except TypeError as exc:
        raise TrainguardError(f"model.params for {path}: {exc}") from None
    fits_task = is_classifier(estimator) if task == "classification" else is_regressor(estimator)
    if not fits_task:
        raise TrainguardError(f"model.estimator {path} is not a {task} estimator (task: {task})")
    return estimator


def with_preprocessing(estimator: Any, numeric: Sequence[str], categorical: Sequence[str]) -> Pipeline:
    """Impute + scale numeric features and one-hot encode categorical ones before ``estimator``,
    so any scikit-learn estimator trains on the warehouse's raw columns (nulls included)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    parts = []
    if numeric:
        parts.append(
            (
                "numeric",
                Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]),
                list(numeric),
            )
        )
    if categorical:
        parts.append(
            (
                "categorical",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="most_frequent")),
                        ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                    ]
                ),
                list(categorical),
            )
        )
    return Pipeline([("features", ColumnTransformer(parts)), ("model", estimator)])


def _regression(estimator: Any, x: Any, y: Any) -> dict[str, float]:
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    predicted = estimator.predict(x)
    return {
        "mae": float(mean_absolute_error(y, predicted)),
        "rmse": float(mean_squared_error(y, predicted) ** 0.5),
        "r2": float(r2_score(y, predicted)),
    }


def _classification(estimator: Any, x: Any, y: Any) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score

    classes = list(getattr(estimator, "classes_", []))
    predicted = estimator.predict(x)
    binary = len(classes) == 2
    scores: dict[str, Any] = {
        "accuracy": lambda: accuracy_score(y, predicted),
        "f1": lambda: (
            f1_score(y, predicted, average="binary", pos_label=classes[-1])
            if binary
            else f1_score(y, predicted, average="macro")
        ),
    }
    if hasattr(estimator, "predict_proba"):
        proba = estimator.predict_proba(x)
        scores["log_loss"] = lambda: log_loss(y, proba, labels=classes)
        scores["roc_auc"] = lambda: (
            roc_auc_score(y, proba[:, 1]) if binary else roc_auc_score(y, proba, multi_class="ovr", labels=classes)
        )
    out = {}
    for name, score in scores.items():
        try:
            value = float(score())
        except ValueError:  # e.g. ROC AUC of a slice holding a single class: undefined, not zero
            continue
        if math.isfinite(value):
            out[name] = value
    return out


def evaluate(task: str, estimator: Any, x: Any, y: Any) -> dict[str, float]:
    """The task's metrics (``TASK_METRICS``) of a fitted ``estimator`` on ``x``/``y``."""
    if task not in TASK_METRICS:
        raise TrainguardError(f"task must be one of {sorted(TASK_METRICS)}. Got {task!r} instead.")
    return _regression(estimator, x, y) if task == "regression" else _classification(estimator, x, y)
