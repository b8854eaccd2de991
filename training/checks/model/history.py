"""What the model checks against other models share: the history metric and the base class.

The batch is one model's rows of ``trainguard_model_metrics``; earlier models are read from
trainguard's registry tables in the same warehouse (SQL only). When there is nothing to compare
with (first model, too little history) the result says so in ``details.reason`` and succeeds
only if the suite says ``if_no_history: pass``; nothing passes silently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from great_expectations.compatibility import pydantic
from great_expectations.compatibility.sqlalchemy import sqlalchemy as sa
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from great_expectations.expectations.expectation import BatchExpectation
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider

from training.checks.batches import batch_value
from training.checks.rendering import TextRenderers

if TYPE_CHECKING:
    pass

IF_NO_HISTORY_DESCRIPTION = "'fail' (default) or 'pass' when there is no production model or too little history."
DIRECTION_DESCRIPTION = "'lower_is_better' for errors, 'higher_is_better' for scores such as R^2."
METRIC_DESCRIPTION = "Name of the metric as recorded by training, e.g. 'mae'."
SPLIT_DESCRIPTION = "Data split the metric was measured on. Default 'holdout'."
RUNS_DESCRIPTION = "How many earlier training runs of the pipeline to look at."
META = "meta"


class ModelHistory(TableMetricProvider):
    """The batch's model, its pipeline's production model and its ``runs`` previous (not rejected)
    models, with each one's values in ``split``:
    ``{"model_id", "pipeline", "production", "previous", "values"}``."""

    metric_name = "trainguard.model.history"
    value_keys = ("split", "runs")
    default_kwarg_values = {"split": "holdout", "runs": 5}

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(
        cls,
        execution_engine: SqlAlchemyExecutionEngine,
        metric_domain_kwargs: dict,
        metric_value_kwargs: dict,
        metrics: dict[str, Any],
        runtime_configuration: dict,
    ) -> dict[str, Any]:
        from training.warehouse.model_status import rejected_models
        from training.warehouse.tables import model_metrics, models, production

        selectable, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, MetricDomainTypes.TABLE)
        model_id = batch_value(execution_engine, "model_id", selectable)
        current = execution_engine.execute_query(sa.select(models).where(models.c.model_id == model_id)).first()
        if current is None:
            return {"model_id": model_id, "pipeline": None, "production": None, "previous": [], "values": {}}
        prod = execution_engine.execute_query(
            sa.select(production.c.model_id).where(production.c.pipeline == current.pipeline)
        ).scalar_one_or_none()
        earlier = sa.or_(
            models.c.trained_for < current.trained_for,
            sa.and_(models.c.trained_for == current.trained_for, models.c.created_at < current.created_at),
        )
        previous = execution_engine.execute_query(
            sa.select(models.c.model_id)
            # Rejected runs are not the history a new model should be like.
            .where(
                models.c.pipeline == current.pipeline,
                models.c.model_id != model_id,
                models.c.model_id.not_in(rejected_models()),
                earlier,
            )
            .order_by(models.c.trained_for.desc(), models.c.created_at.desc())
            .limit(int(metric_value_kwargs["runs"]))
        ).all()
        previous_ids = [r[0] for r in reversed(previous)]
        wanted = {model_id, *previous_ids, *([prod] if prod else [])}
        rows = execution_engine.execute_query(
            sa.select(model_metrics.c.model_id, model_metrics.c.metric, model_metrics.c.value).where(
                model_metrics.c.model_id.in_(sorted(wanted)), model_metrics.c.split == metric_value_kwargs["split"]
            )
        ).all()
        values: dict[str, dict[str, float]] = {}
        for mid, name, value in rows:
            values.setdefault(mid, {})[name] = float(value)
        return {
            "model_id": model_id,
            "pipeline": current.pipeline,
            "production": prod,
            "previous": previous_ids,
            "values": values,
        }


class AgainstHistory(TextRenderers, BatchExpectation):
    """Shared by the expectations that compare a model with other models."""

    if_no_history: Literal["fail", "pass"] = pydantic.Field("fail", description=IF_NO_HISTORY_DESCRIPTION)

    library_metadata: ClassVar[dict[str, Any]] = {
        "maturity": "experimental",
        "tags": ["trainguard", "model validation"],
        "contributors": ["trainguard"],
    }
    render_defaults: ClassVar[dict[str, Any]] = {"if_no_history": "fail"}

    def _no_history(self, reason: str, observed: Any = None) -> dict:
        passes = self.if_no_history == "pass"
        return {
            "success": passes,
            "result": {
                "observed_value": observed,
                "details": {
                    "reason": f"{reason} ({'passes' if passes else 'fails'}: if_no_history={self.if_no_history})"
                },
            },
        }
