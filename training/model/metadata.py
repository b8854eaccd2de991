"""What a trained model is, beyond its error: per-slice metrics and metadata to compare with
earlier models (training size, categorical cardinality, numeric scale, feature importances)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from training.model.estimators import evaluate

if TYPE_CHECKING:
    import pandas as pd

# Slices smaller than this measure noise, not the model.
MIN_SLICE_ROWS = 30
META_SPLIT = "meta"
# R² of a small slice swings with the slice's own variance; errors compare better across slices.
NOT_PER_SLICE = frozenset({"r2"})


def slice_split(column: str, value: Any) -> str:
    return f"slice:{column}={value}"


def slice_metrics(
    task: str, estimator: Any, x: pd.DataFrame, y: pd.Series, slice_by: Sequence[str]
) -> dict[str, dict[str, float]]:
    """Holdout metrics per value of each ``slice_by`` column (slices with enough rows)."""
    out: dict[str, dict[str, float]] = {}
    for column in slice_by:
        for value, index in x.groupby(column, dropna=True).groups.items():
            if len(index) >= MIN_SLICE_ROWS:
                found = evaluate(task, estimator, x.loc[index], y.loc[index])
                out[slice_split(column, value)] = {k: v for k, v in found.items() if k not in NOT_PER_SLICE}
    return out


def _encoded_model(estimator: Any) -> tuple[Any, list[str] | None]:
    """The final model and the names of the columns it was fitted on (after preprocessing)."""
    steps = getattr(estimator, "steps", None)
    if steps:
        try:
            return steps[-1][1], list(estimator[:-1].get_feature_names_out())
        except (AttributeError, ValueError):
            return steps[-1][1], None
    names = getattr(estimator, "feature_names_in_", None)
    return estimator, None if names is None else list(names)


def feature_importances(estimator: Any, x: pd.DataFrame, y: pd.Series, features: Sequence[str]) -> dict[str, float]:
    """Importance per input feature: the model's ``feature_importances_`` or ``|coef_|`` summed
    over the columns a feature was encoded into, else permutation importance on the holdout."""
    import numpy as np

    model, names = _encoded_model(estimator)
    raw = getattr(model, "feature_importances_", None)
    if raw is None and getattr(model, "coef_", None) is not None:
        coef = np.abs(np.asarray(model.coef_, dtype=float))
        raw = coef.sum(axis=0) if coef.ndim == 2 else coef  # multiclass: one row per class
    if raw is not None and names is not None and len(names) == len(raw):
        totals = dict.fromkeys(features, 0.0)
        for name, value in zip(names, raw, strict=True):
            encoded = name.split("__", 1)[-1]
            owners = [f for f in features if encoded == f or encoded.startswith(f"{f}_")]
            if owners:
                totals[max(owners, key=len)] += float(value)
        return totals
    from sklearn.inspection import permutation_importance

    found = permutation_importance(estimator, x[list(features)], y, n_repeats=3, random_state=0, n_jobs=1)
    return {f: float(v) for f, v in zip(features, found.importances_mean, strict=True)}


def model_metadata(
    estimator: Any,
    x_train: pd.DataFrame,
    x_holdout: pd.DataFrame,
    y_holdout: pd.Series,
    numeric: Sequence[str],
    categorical: Sequence[str],
) -> dict[str, float]:
    """Flat ``kind:name -> value`` metadata of a trained model, stored beside its metrics."""
    meta: dict[str, float] = {"rows:train": float(len(x_train)), "rows:holdout": float(len(x_holdout))}
    for column in categorical:
        meta[f"cardinality:{column}"] = float(x_train[column].nunique(dropna=True))
    for column in numeric:
        values = x_train[column].dropna()
        if values.empty:
            continue
        meta.update(
            {
                f"mean:{column}": float(values.mean()),
                f"scale:{column}": float(values.std(ddof=0)),
                f"min:{column}": float(values.min()),
                f"max:{column}": float(values.max()),
            }
        )
    for feature, value in feature_importances(estimator, x_holdout, y_holdout, [*numeric, *categorical]).items():
        meta[f"importance:{feature}"] = value
    return meta
