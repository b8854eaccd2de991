"""What a trained model is, beyond its error: per-slice metrics and metadata to compare with
earlier models (training size, categorical cardinality, numeric scale, feature importances)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.pipeline import Pipeline

    from training.model.spec import TrainingSpec

# Slices smaller than this measure noise, not the model.
MIN_SLICE_ROWS = 30
META_SPLIT = "meta"


def slice_split(column: str, value: Any) -> str:
    return f"slice:{column}={value}"


def slice_metrics(
    spec: TrainingSpec, estimator: Pipeline, holdout: pd.DataFrame, metrics: Any
) -> dict[str, dict[str, float]]:
    """Holdout metrics per value of each categorical feature (slices with enough rows)."""
    out: dict[str, dict[str, float]] = {}
    for column in spec.categorical:
        for value, part in holdout.groupby(column, dropna=True):
            if len(part) >= MIN_SLICE_ROWS:
                found = metrics(part[spec.target], estimator.predict(part[spec.features]))
                out[slice_split(column, value)] = {k: v for k, v in found.items() if k != "r2"}
    return out


def feature_importances(spec: TrainingSpec, estimator: Pipeline, holdout: pd.DataFrame) -> dict[str, float]:
    """Importance per input feature: the model's ``feature_importances_`` or ``|coef_|`` summed
    over the columns a feature was encoded into, else permutation importance on the holdout."""
    import numpy as np

    model = estimator.steps[-1][1]
    raw = getattr(model, "feature_importances_", None)
    if raw is None and getattr(model, "coef_", None) is not None:
        raw = np.abs(np.ravel(model.coef_))
    if raw is not None:
        names = estimator[:-1].get_feature_names_out()
        totals = dict.fromkeys(spec.features, 0.0)
        for name, value in zip(names, raw, strict=True):
            encoded = name.split("__", 1)[-1]
            feature = max((f for f in spec.features if encoded == f or encoded.startswith(f"{f}_")), key=len)
            totals[feature] += float(value)
        return totals
    from sklearn.inspection import permutation_importance

    found = permutation_importance(
        estimator, holdout[spec.features], holdout[spec.target], n_repeats=3, random_state=0, n_jobs=1
    )
    return {f: float(v) for f, v in zip(spec.features, found.importances_mean, strict=True)}


def model_metadata(
    spec: TrainingSpec, estimator: Pipeline, train: pd.DataFrame, holdout: pd.DataFrame
) -> dict[str, float]:
    """Flat ``kind:name -> value`` metadata of a trained model, stored beside its metrics."""
    meta: dict[str, float] = {"rows:train": float(len(train)), "rows:holdout": float(len(holdout))}
    for column in spec.categorical:
        meta[f"cardinality:{column}"] = float(train[column].nunique(dropna=True))
    for column in spec.numeric:
        values = train[column].dropna()
        meta.update(
            {
                f"mean:{column}": float(values.mean()),
                f"scale:{column}": float(values.std(ddof=0)),
                f"min:{column}": float(values.min()),
                f"max:{column}": float(values.max()),
            }
        )
    for feature, value in feature_importances(spec, estimator, holdout).items():
        meta[f"importance:{feature}"] = value
    return meta
