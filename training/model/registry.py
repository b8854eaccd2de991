"""The model registry in the warehouse: models, their metrics, and each pipeline's production model.

A model's status is derived, never trusted from storage: the production pointer, the promotion
audit trail and the model's latest model-checkpoint validation decide it (see
:mod:`training.warehouse.model_status`). ``trainguard_models.status`` is still written, with the status derived
at each registry write, for warehouses and SQL readers that have the column; no reader here
uses it, so a stored value can never contradict the production pointer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import sqlalchemy as sa

from training.core.errors import NotFoundError
from training.warehouse.model_status import select_models
from training.warehouse.tables import ensure_tables, model_metrics, models, production, promotions


def model_statuses(engine: sa.Engine, pipeline: str | None = None) -> dict[str, str]:
    """``model_id -> status`` of every model (of ``pipeline`` when given)."""
    ensure_tables(engine)
    query = select_models()
    if pipeline:
        query = query.where(models.c.pipeline == pipeline)
    with engine.connect() as conn:
        return {row.model_id: row.status for row in conn.execute(query)}


def _store_statuses(conn: sa.Connection, pipeline: str) -> None:
    """Write the derived statuses of ``pipeline``'s models into the stored column where it differs."""
    derived = select_models().add_columns(models.c.status.label("stored")).where(models.c.pipeline == pipeline)
    stale: dict[str, list[str]] = {}
    for row in conn.execute(derived):
        if row.stored != row.status:
            stale.setdefault(row.status, []).append(row.model_id)
    for status, ids in stale.items():
        conn.execute(sa.update(models).where(models.c.model_id.in_(ids)).values(status=status))


def store_statuses(engine: sa.Engine, pipeline: str) -> None:
    """Bring the stored status column of ``pipeline``'s models up to date (after a model check)."""
    ensure_tables(engine)
    with engine.begin() as conn:
        _store_statuses(conn, pipeline)


def register_model(engine: sa.Engine, record: dict[str, Any], metrics: dict[str, dict[str, float]]) -> None:
    """Insert or replace ``record`` and its metrics (split -> metric -> value) in one transaction,
    so a rerun of the same training never duplicates stored metrics."""
    ensure_tables(engine)
    rows = [
        {"model_id": record["model_id"], "split": split, "metric": name, "value": float(value)}
        for split, values in metrics.items()
        for name, value in values.items()
    ]
    with engine.begin() as conn:
        _lock(conn, record["model_id"])
        conn.execute(sa.delete(model_metrics).where(model_metrics.c.model_id == record["model_id"]))
        conn.execute(sa.delete(models).where(models.c.model_id == record["model_id"]))
        conn.execute(models.insert(), [record])
        conn.execute(model_metrics.insert(), rows)
        # A retrained production model keeps its status: the pointer, not the row, says so.
        _store_statuses(conn, record["pipeline"])


def _lock(conn: sa.Connection, name: str) -> None:
    """Serialise writers of the same record. Two runs of the same day write the same model id:
    on PostgreSQL both would delete nothing and then collide on the insert; a transaction-level
    advisory lock makes the second wait and replace the first. SQLite serialises writers itself."""
    if conn.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def get_model(engine: sa.Engine, model_id: str) -> dict[str, Any]:
    """The record of ``model_id`` with its derived ``status`` and its ``metrics``."""
    ensure_tables(engine)
    with engine.connect() as conn:
        row = conn.execute(select_models().where(models.c.model_id == model_id)).first()
        if row is None:
            raise NotFoundError(f"unknown model {model_id!r}")
        metric_rows = conn.execute(sa.select(model_metrics).where(model_metrics.c.model_id == model_id)).all()
    record = row._asdict()
    record["metrics"] = {}
    for m in metric_rows:
        record["metrics"].setdefault(m.split, {})[m.metric] = m.value
    return record


def list_models(engine: sa.Engine, pipeline: str | None = None) -> list[dict[str, Any]]:
    """Registered models, oldest first, each with its derived ``status``."""
    ensure_tables(engine)
    query = select_models().order_by(models.c.created_at, models.c.model_id)
    if pipeline:
        query = query.where(models.c.pipeline == pipeline)
    with engine.connect() as conn:
        return [r._asdict() for r in conn.execute(query)]


def production_model(engine: sa.Engine, pipeline: str) -> str | None:
    ensure_tables(engine)
    with engine.connect() as conn:
        return conn.execute(
            sa.select(production.c.model_id).where(production.c.pipeline == pipeline)
        ).scalar_one_or_none()


def promote(engine: sa.Engine, pipeline: str, model_id: str, reason: str, *, forced: bool = False) -> None:
    """Make ``model_id`` production for ``pipeline`` in one transaction: the pointer, the
    audit row and the stored statuses change together or not at all."""
    get_model(engine, model_id)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        _lock(conn, f"production:{pipeline}")
        previous = conn.execute(
            sa.select(production.c.model_id).where(production.c.pipeline == pipeline)
        ).scalar_one_or_none()
        conn.execute(
            promotions.insert().values(
                pipeline=pipeline,
                model_id=model_id,
                previous_model_id=previous,
                promoted_at=now,
                forced=forced,
                reason=reason,
            )
        )
        conn.execute(sa.delete(production).where(production.c.pipeline == pipeline))
        conn.execute(production.insert().values(pipeline=pipeline, model_id=model_id, promoted_at=now, reason=reason))
        _store_statuses(conn, pipeline)


def promotion_history(engine: sa.Engine, model_id: str) -> list[dict[str, Any]]:
    """Promotions of ``model_id``, oldest first (forced ones carry the operator's reason)."""
    ensure_tables(engine)
    query = sa.select(promotions).where(promotions.c.model_id == model_id).order_by(promotions.c.id)
    with engine.connect() as conn:
        return [r._asdict() for r in conn.execute(query)]
