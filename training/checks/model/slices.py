"""Model check: the model's slices against its overall value."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from great_expectations.compatibility import pydantic
from great_expectations.compatibility.sqlalchemy import sqlalchemy as sa
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine import PandasExecutionEngine, SqlAlchemyExecutionEngine
from great_expectations.expectations.expectation import BatchExpectation
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider

from training.checks.rendering import TextRenderers
from training.gx.summary import number

if TYPE_CHECKING:
    from great_expectations.execution_engine import ExecutionEngine

from training.checks.model.history import DIRECTION_DESCRIPTION, METRIC_DESCRIPTION, AgainstHistory


class ModelSlices(TableMetricProvider):
    """``{"overall": holdout value, "slices": {slice: value}}`` of one metric, from the batch."""

    metric_name = "trainguard.model.slices"
    value_keys = ("metric",)

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration):
        df, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, MetricDomainTypes.TABLE)
        rows = df[df["metric"] == metric_value_kwargs["metric"]][["split", "value"]].itertuples(index=False)
        return _slices([(r.split, r.value) for r in rows])

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration):
        selectable, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, MetricDomainTypes.TABLE)
        query = (
            sa.select(sa.column("split"), sa.column("value"))
            .select_from(selectable)
            .where(sa.column("metric") == metric_value_kwargs["metric"])
        )
        return _slices([(s, v) for s, v in execution_engine.execute_query(query).all()])


def _slices(rows: list[tuple[str, float]]) -> dict[str, Any]:
    overall = next((float(v) for s, v in rows if s == "holdout"), None)
    return {"overall": overall, "slices": {s: float(v) for s, v in rows if str(s).startswith("slice:")}}


class ExpectModelSlicesToBeConsistent(TextRenderers, BatchExpectation):
    __doc__ = f"""Expect no data slice's error to exceed the overall holdout error by more than a ratio.

    Slices are the holdout split by each value of each categorical feature (recorded by
    training as ``slice:<column>=<value>``). For an error, slice / overall must be at most
    ``max_ratio``; for a score, overall / slice. A model without slices or without an overall
    value fails with that reason.

    Args:
        metric (str): {METRIC_DESCRIPTION}
        max_ratio (float): Largest allowed ratio, e.g. 2.0.
        direction (str): {DIRECTION_DESCRIPTION}
    """

    metric: str = pydantic.Field(description=METRIC_DESCRIPTION)
    max_ratio: float = pydantic.Field(ge=1)
    direction: Literal["lower_is_better", "higher_is_better"] = "lower_is_better"

    library_metadata: ClassVar[dict[str, Any]] = AgainstHistory.library_metadata
    metric_dependencies = ("trainguard.model.slices",)
    success_keys = ("metric", "max_ratio", "direction")

    class Config:
        title = "Expect model slices to be consistent"

    def _validate(
        self, metrics: dict, runtime_configuration: dict | None = None, execution_engine: ExecutionEngine | None = None
    ) -> dict:
        found = metrics["trainguard.model.slices"]
        overall, slices = found["overall"], found["slices"]
        if overall is None or not slices:
            reason = "no overall holdout value" if overall is None else "no slices recorded"
            return {"success": False, "result": {"observed_value": None, "details": {"reason": reason}}}
        ratios = {
            s: (v / overall if self.direction == "lower_is_better" else overall / v) if (overall and v) else math.inf
            for s, v in slices.items()
        }
        worst = max(ratios, key=ratios.get)
        return {
            "success": bool(ratios[worst] <= self.max_ratio),
            "result": {
                "observed_value": None if math.isinf(ratios[worst]) else round(ratios[worst], 6),
                "details": {
                    "worst_slice": worst,
                    "slice_value": slices[worst],
                    "overall": overall,
                    "slices": len(slices),
                },
            },
        }

    @classmethod
    def _sentence(cls, kwargs: dict[str, Any]) -> str:
        return "No slice's $metric may be worse than the overall holdout $metric by a ratio above $max_ratio."

    @classmethod
    def _measured(cls, kwargs: dict[str, Any]) -> str:
        return f"holdout {kwargs['metric']} by slice"

    @classmethod
    def _observed_text(cls, observed: Any, details: dict[str, Any], kwargs: dict[str, Any]) -> str:
        return (
            f"worst {details.get('worst_slice')}: {number(details.get('slice_value'))} vs overall "
            f"{number(details.get('overall'))} (ratio {number(observed)}, at most {number(kwargs.get('max_ratio'))} "
            f"allowed; {details.get('slices')} slices)"
        )
