"""A model's status, derived in SQL from the warehouse's registry tables (never trusted from
storage): the production pointer, the promotion audit trail and the model's latest
model-checkpoint validation decide it. Here, below the checks and the model registry that both
read it (``training.model.registry`` re-exports it).
"""

from __future__ import annotations

import sqlalchemy as sa

from training.warehouse.tables import models, production, promotions, validations

# The batch column of every model checkpoint: its validations are the models' checks.
MODEL_BATCH_KEY = "model_id"
# Every status a model can have, in the order the checks below decide them.
STATUSES = ("production", "retired", "candidate", "rejected", "unchecked")
STATUS_HELP = {
    "production": "serves its pipeline now",
    "retired": "served its pipeline before, replaced since",
    "candidate": "its latest model check passed; never promoted",
    "rejected": "its latest model check failed",
    "unchecked": "no model check recorded",
}


def _latest_checks() -> sa.Subquery:
    """Each model's latest model-checkpoint validation as ``(model_id, success)``; "latest" in
    the order :func:`training.gx.record.history.latest_outcomes` uses (run time, then id)."""
    rank = sa.func.row_number().over(
        partition_by=validations.c.batch_value, order_by=(validations.c.run_at.desc(), validations.c.id.desc())
    )
    ranked = (
        sa.select(validations.c.batch_value.label("model_id"), validations.c.success, rank.label("recency"))
        .where(validations.c.batch_key == MODEL_BATCH_KEY)
        .subquery("ranked_checks")
    )
    return sa.select(ranked.c.model_id, ranked.c.success).where(ranked.c.recency == 1).subquery("latest_checks")


def status_column(checks: sa.Subquery) -> sa.ColumnElement[str]:
    """A model's status as SQL over ``models`` outer-joined to :func:`_latest_checks`:
    production (the pipeline's pointer names it), retired (promoted once, not now), else by its
    latest model check: candidate (passed), rejected (failed), unchecked (none recorded)."""
    same_model = (production.c.pipeline == models.c.pipeline, production.c.model_id == models.c.model_id)
    promoted = (promotions.c.pipeline == models.c.pipeline, promotions.c.model_id == models.c.model_id)
    return sa.case(
        (sa.exists().where(*same_model), "production"),
        (sa.exists().where(*promoted), "retired"),
        (checks.c.success.is_(None), "unchecked"),
        (checks.c.success == sa.true(), "candidate"),
        else_="rejected",
    )


def select_models() -> sa.Select:
    """Rows of ``trainguard_models`` with the derived ``status`` in place of the stored one."""
    checks = _latest_checks()
    columns = [c for c in models.c if c.name != "status"]
    return sa.select(*columns, status_column(checks).label("status")).select_from(
        models.outerjoin(checks, checks.c.model_id == models.c.model_id)
    )


def rejected_models() -> sa.Select:
    """Ids of the models whose status is ``rejected`` (for history checks that skip them)."""
    derived = select_models().subquery("derived")
    return sa.select(derived.c.model_id).where(derived.c.status == "rejected")
