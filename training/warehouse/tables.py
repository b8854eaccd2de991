"""trainguard's own tables in the warehouse: validation outcomes and observed values, model
registry and metrics."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

validations = sa.Table(
    "trainguard_validations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("checkpoint", sa.String(200), nullable=False),
    sa.Column("suite", sa.String(200), nullable=False),
    sa.Column("batch_key", sa.String(200), nullable=False),
    sa.Column("batch_value", sa.String(200), nullable=False),
    sa.Column("success", sa.Boolean, nullable=False),
    sa.Column("evaluated", sa.Integer, nullable=False),
    sa.Column("failed", sa.Integer, nullable=False),
    sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("docs_page", sa.Text),
    sa.Index("ix_trainguard_validations_lookup", "checkpoint", "batch_value"),
)

# Every numeric observed value of every expectation run (drift scores, means, ratios), pass or
# fail, so that trends can be charted and thresholds revisited with real history.
observations = sa.Table(
    "trainguard_observations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("checkpoint", sa.String(200), nullable=False),
    sa.Column("suite", sa.String(200), nullable=False),
    sa.Column("batch_value", sa.String(200), nullable=False),
    sa.Column("expectation_type", sa.String(200), nullable=False),
    sa.Column("column_name", sa.String(200)),
    sa.Column("observed", sa.Float, nullable=False),
    sa.Column("success", sa.Boolean, nullable=False),
    sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_trainguard_observations_lookup", "checkpoint", "expectation_type", "column_name"),
)

models = sa.Table(
    "trainguard_models",
    metadata,
    sa.Column("model_id", sa.String(64), primary_key=True),
    sa.Column("pipeline", sa.String(200), nullable=False),
    sa.Column("trained_for", sa.String(10), nullable=False),
    sa.Column("window_start", sa.String(10), nullable=False),
    sa.Column("window_end", sa.String(10), nullable=False),
    sa.Column("train_rows", sa.Integer, nullable=False),
    sa.Column("holdout_rows", sa.Integer, nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
)

model_metrics = sa.Table(
    "trainguard_model_metrics",
    metadata,
    sa.Column("model_id", sa.String(64), nullable=False),
    # split: train, holdout, slice:<column>=<value>, or meta (model metadata, metric = kind:name)
    sa.Column("split", sa.String(200), nullable=False),
    sa.Column("metric", sa.String(200), nullable=False),
    sa.Column("value", sa.Float, nullable=False),
    sa.PrimaryKeyConstraint("model_id", "split", "metric"),
)

production = sa.Table(
    "trainguard_production",
    metadata,
    sa.Column("pipeline", sa.String(200), primary_key=True),
    sa.Column("model_id", sa.String(64), nullable=False),
    sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)


# Every change of a pipeline's production model, forced or not, with its reason.
promotions = sa.Table(
    "trainguard_promotions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("pipeline", sa.String(200), nullable=False),
    sa.Column("model_id", sa.String(64), nullable=False),
    sa.Column("previous_model_id", sa.String(64)),
    sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("forced", sa.Boolean, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)


# Any fixed 64-bit key: the advisory lock under which trainguard's tables are created.
_CREATE_LOCK = 0x7472_6775_6172_6401


def ensure_tables(engine: sa.Engine) -> None:
    """Create trainguard's tables if they are missing (idempotent). On PostgreSQL two first runs
    at once would both find a table missing and the second CREATE would fail on the catalog's
    unique index, so creation is serialised by an advisory lock held for the transaction."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CREATE_LOCK})
        metadata.create_all(conn, checkfirst=True)
