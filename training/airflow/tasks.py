"""Callables behind the DAG's Python tasks: thin wrappers over the services the CLI uses too."""

from __future__ import annotations

import datetime as dt
import logging

log = logging.getLogger(__name__)


def train(day: str) -> str:
    """Train the demo model for ``day``; returns the model id (pushed to XCom)."""
    from training.demo.spec import DEMO_SPEC
    from training.model.train import train_for_day

    result = train_for_day(DEMO_SPEC, dt.date.fromisoformat(day))
    log.info(
        "trained %s on %s, holdout %s: %s", result.model_id, result.train_days, result.holdout_days, result.metrics
    )
    return result.model_id


def promote(model_id: str) -> str:
    """Promote ``model_id`` if its model checkpoint passed; fails the task otherwise."""
    from airflow.sdk.exceptions import AirflowFailException

    from training.demo.spec import DEMO_SPEC
    from training.model.promotion import PromotionRefusedError, promote_if_validated

    try:
        result = promote_if_validated(DEMO_SPEC.pipeline, DEMO_SPEC.model_checkpoint, model_id)
    except PromotionRefusedError as exc:
        raise AirflowFailException(str(exc)) from exc
    log.info("%s is production for %s (%s)", result.model_id, result.pipeline, result.reason)
    return result.model_id


def build_docs() -> str:
    """Rebuild the Data Docs site (runs after the gates, whatever their outcome)."""
    from training.quality.docs import build_docs as build
    from training.settings import get_settings

    index = build()
    log.info("Data Docs: %s (served at %s/index.html by 'trainguard docs serve')", index, get_settings().docs_url)
    return str(index)
