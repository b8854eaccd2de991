"""trainguard's public Python API, for training code that does not fit a pipeline file.

Train your model however you like, then hand it over::

    from training.api import Baseline, ModelGate, guard_model

    gate = ModelGate(pipeline="churn", task="classification", metric="roc_auc", slice_by=("region",))
    verdict = guard_model(gate, fitted, x_train, y_train, x_holdout, y_holdout, day=date(2026, 10, 5))
    if not verdict.promoted:
        print(verdict.reason, *verdict.failures, sep="\\n")

trainguard records the model's metrics (train, holdout, per slice) and metadata (training
size, cardinalities, numeric scale, feature importances), stores the artifact, runs the
pipeline's model checkpoint (``<pipeline>_model``, generated from the gate, or the hand-written
``gate.model_checkpoint``) and promotes the model only when every expectation passed. Pipeline
files (``trainguard pipeline run``) go through the same two calls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from training.core.settings import Settings
from training.model.gate import Baseline, GateTolerances, ModelGate
from training.model.gatekeeper import ModelVerdict, validate_and_promote
from training.model.record import RecordedModel, record_model

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Baseline",
    "GateTolerances",
    "ModelGate",
    "ModelVerdict",
    "RecordedModel",
    "guard_model",
    "record_model",
    "validate_and_promote",
]


def guard_model(
    gate: ModelGate,
    estimator: Any,
    x_train: pd.DataFrame,
    y_train: Any,
    x_holdout: pd.DataFrame,
    y_holdout: Any,
    *,
    day: dt.date | str,
    days: Sequence[dt.date] = (),
    numeric: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
    settings: Settings | None = None,
) -> ModelVerdict:
    """Record a fitted ``estimator`` as a candidate of ``gate.pipeline`` for ``day``, validate it
    and promote it if the model checkpoint passes.

    Args:
        gate: the pipeline name, task, primary metric, slices, baseline and tolerances.
        estimator: a fitted scikit-learn compatible estimator (``predict``; ``predict_proba``
            for roc_auc/log_loss) taking ``x_train``/``x_holdout`` as they are.
        x_train, y_train, x_holdout, y_holdout: the data it was trained and is judged on.
        day: the day the model is trained for (its id and the audit trail use it).
        days: the data days behind the model, if known (recorded as its window).
        numeric, categorical: feature kinds for the metadata; inferred from dtypes if omitted.

    Returns:
        A :class:`ModelVerdict`: ``passed``, ``promoted``, the production model afterwards, the
        reason and the failed expectations. A rerun with the same model and data replaces its
        own record and does not promote twice.
    """
    day = dt.date.fromisoformat(day) if isinstance(day, str) else day
    recorded = record_model(
        gate,
        estimator,
        x_train,
        y_train,
        x_holdout,
        y_holdout,
        day,
        days=days,
        numeric=numeric,
        categorical=categorical,
        settings=settings,
    )
    return validate_and_promote(gate, recorded.model_id, settings)
