"""Validation outcomes recorded in the warehouse: which batches passed which checkpoint, when."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from training.core.settings import current_settings
from training.gx.results import blocks
from training.warehouse.engine import get_engine
from training.warehouse.tables import ensure_tables, observations, validations

if TYPE_CHECKING:
    from great_expectations.checkpoint.checkpoint import CheckpointResult


def _batch_parameters(result: Any) -> dict[str, Any]:
    meta = result.meta or {}
    params = meta.get("batch_parameters") or {}
    return {str(k): v for k, v in params.items()}


def outcome_row(
    checkpoint: str,
    suite: str,
    batch_key: str,
    batch_value: str,
    success: bool,
    *,
    evaluated: int = 0,
    failed: int = 0,
    docs_page: str | None = None,
) -> dict[str, Any]:
    """One row of ``trainguard_validations``, stamped now."""
    return {
        "checkpoint": checkpoint,
        "suite": suite,
        "batch_key": batch_key,
        "batch_value": batch_value,
        "success": bool(success),
        "evaluated": evaluated,
        "failed": failed,
        "run_at": dt.datetime.now(dt.UTC),
        "docs_page": docs_page,
    }


def outcome_rows(checkpoint_result: CheckpointResult, pages: dict) -> list[dict[str, Any]]:
    """One row per validation of ``checkpoint_result``, ready for :func:`record_outcomes`.

    ``success`` is the gate's verdict (no failed critical expectation); ``failed`` counts every
    failed expectation, so a passed row with ``failed`` > 0 passed with warnings."""
    rows = []
    for identifier, result in checkpoint_result.run_results.items():
        key, value = next(iter(_batch_parameters(result).items()), ("", ""))
        stats = result.statistics or {}
        rows.append(
            outcome_row(
                checkpoint_result.checkpoint_config.name,
                result.suite_name,
                key,
                str(value),
                bool(result.success) or not blocks(result.results),  # warnings do not block
                evaluated=int(stats.get("evaluated_expectations") or 0),
                failed=int(stats.get("unsuccessful_expectations") or 0),
                docs_page=(pages.get(identifier) or {}).get("local_site"),
            )
        )
    return rows


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


# Driver messages that mean the connection was lost, not that the data or the query was wrong.
_DISCONNECT = re.compile(
    r"server closed the connection|terminating connection|connection to server|could not connect"
    r"|connection (is |was |already )?closed|ssl syscall error|consuming input failed|connection reset"
    r"|broken pipe|lost connection",
    re.IGNORECASE,
)


def _exception_messages(info: dict[str, Any]) -> list[str]:
    """Messages of an expectation's ``exception_info``: GX 1.x keys it by metric (one dict per
    failed metric), older results hold one dict."""
    entries = [info] if "raised_exception" in info or "exception_message" in info else list(info.values())
    return [str(e.get("exception_message") or "") for e in entries if isinstance(e, dict)]


def lost_connection(checkpoint_result: CheckpointResult) -> str | None:
    """The first lost-connection error among the expectations' exceptions, or None. GX records a
    query that failed (after its retries) as a failed expectation with the exception attached;
    a connection that came back in time for recording would turn an outage into a skew alarm."""
    for result in checkpoint_result.run_results.values():
        for outcome in result.results:
            for message in _exception_messages(outcome.exception_info or {}):
                if not ("OperationalError" in message or "InterfaceError" in message):
                    continue
                line = next((part for part in message.splitlines() if _DISCONNECT.search(part)), None)
                if line is not None:
                    driver = re.search(r"\(\w+\.\w+Error\) (.*)", line)
                    return (driver.group(1) if driver else line).strip().strip('"').strip()[:300]
    return None


def observation_rows(checkpoint_result: CheckpointResult) -> list[dict[str, Any]]:
    """One row per expectation whose observed value is a number (drift scores, means, counts)."""
    rows = []
    now = dt.datetime.now(dt.UTC)
    for result in checkpoint_result.run_results.values():
        _, value = next(iter(_batch_parameters(result).items()), ("", ""))
        for outcome in result.results:
            observed = _number((outcome.result or {}).get("observed_value"))
            if observed is None:
                continue
            config = outcome.expectation_config
            rows.append(
                {
                    "checkpoint": checkpoint_result.checkpoint_config.name,
                    "suite": result.suite_name,
                    "batch_value": str(value),
                    "expectation_type": config.type,
                    # Table-level checks (model metrics) are told apart by their metric.
                    "column_name": config.kwargs.get("column") or config.kwargs.get("metric"),
                    "observed": observed,
                    "success": bool(outcome.success),
                    "run_at": now,
                }
            )
    return rows


def record_outcomes(
    rows: list[dict[str, Any]], engine: sa.Engine | None = None, observed: list[dict[str, Any]] | None = None
) -> None:
    """Insert validation outcomes (and their observed values) in one transaction."""
    if not rows:
        return
    engine = engine or get_engine(current_settings().warehouse_url)
    ensure_tables(engine)
    with engine.begin() as conn:
        conn.execute(validations.insert(), rows)
        if observed:
            conn.execute(observations.insert(), observed)


def observation_history(
    engine: sa.Engine, checkpoint: str, expectation_type: str, column: str | None = None
) -> list[dict[str, Any]]:
    """Recorded observed values of one expectation, oldest first."""
    ensure_tables(engine)
    query = (
        sa.select(observations)
        .where(observations.c.checkpoint == checkpoint, observations.c.expectation_type == expectation_type)
        .order_by(observations.c.run_at, observations.c.id)
    )
    if column is not None:
        query = query.where(observations.c.column_name == column)
    with engine.connect() as conn:
        return [row._asdict() for row in conn.execute(query)]


def latest_outcomes(engine: sa.Engine, checkpoint: str, batch_values: list[str]) -> dict[str, dict]:
    """The most recent recorded outcome of each of ``batch_values`` (missing ones are absent)."""
    ensure_tables(engine)
    query = (
        sa.select(validations)
        .where(validations.c.checkpoint == checkpoint, validations.c.batch_value.in_(batch_values))
        .order_by(validations.c.run_at, validations.c.id)
    )
    with engine.connect() as conn:
        return {row.batch_value: row._asdict() for row in conn.execute(query)}
