"""Callables behind the DAGs' Python tasks: thin wrappers over the services the CLI uses too."""

from __future__ import annotations

import datetime as dt
import logging

log = logging.getLogger(__name__)


def _log_where() -> None:
    from airflow.sdk import get_current_context

    from training.airflow.worker import log_where

    log_where(log, get_current_context())


def _spec(pipeline: str):
    from training.core.settings import get_settings
    from training.pipelines.config import find_pipeline

    return find_pipeline(get_settings().pipelines_dir, pipeline)


def train(pipeline: str, day: str) -> str:
    """Train ``pipeline``'s model for ``day``; returns the model id (pushed to XCom). The model
    checkpoint is generated or refreshed first, so the next task can run it."""
    from training.core.settings import get_settings
    from training.model.suite import ensure_model_checkpoint
    from training.model.train import train_for_day
    from training.pipelines.checks import check_pipeline

    _log_where()
    spec = _spec(pipeline)
    check_pipeline(spec, get_settings())
    ensure_model_checkpoint(spec.gate)
    result = train_for_day(spec, dt.date.fromisoformat(day))
    log.info(
        "trained %s on %s (excluded %s), holdout %s: %s",
        result.model_id,
        result.train_days,
        result.excluded_days,
        result.holdout_days,
        result.metrics["holdout"],
    )
    return result.model_id


def promote(pipeline: str, model_id: str) -> str:
    """Promote ``model_id`` if its model checkpoint passed; fails the task otherwise."""
    from airflow.sdk.exceptions import AirflowFailException

    from training.model.promotion import PromotionRefusedError, promote_if_validated

    _log_where()
    spec = _spec(pipeline)
    try:
        result = promote_if_validated(spec.pipeline, spec.model_checkpoint_name, model_id)
    except PromotionRefusedError as exc:
        raise AirflowFailException(str(exc)) from exc
    log.info("%s is production for %s (%s)", result.model_id, result.pipeline, result.reason)
    return result.model_id


def build_docs() -> str:
    """Rebuild the Data Docs site (runs after the gates, whatever their outcome)."""
    from training.core.settings import get_settings
    from training.docs_site.build import build_docs as build

    _log_where()
    index = build()
    log.info("Data Docs: %s (served at %s/index.html by 'trainguard docs serve')", index, get_settings().docs_url)
    return str(index)
