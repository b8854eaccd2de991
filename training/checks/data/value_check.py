"""Value check: one SQL value of the batch equal to an expected value, within a tolerance.

The GX counterpart of Airflow's ``SQLValueCheckOperator`` (``pass_value`` +- ``tolerance``),
with the query written against ``{batch}`` so it runs on the batch's day only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from great_expectations.compatibility import pydantic
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from great_expectations.expectations.expectation import BatchExpectation
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.query_metric_provider import QueryMetricProvider

from training.checks.rendering import TextRenderers
from training.gx.summary import number, percent

if TYPE_CHECKING:
    from great_expectations.execution_engine import ExecutionEngine

QUERY_DESCRIPTION = "SQL returning one value; write the batch as {batch}, e.g. 'SELECT COUNT(*) FROM {batch}'."
VALUE_DESCRIPTION = "The expected value."
TOLERANCE_DESCRIPTION = "Allowed relative deviation: 0.1 accepts value +- 10%. 0 means exactly equal."


class QueryScalar(QueryMetricProvider):
    """The first column of the first row of a query over the batch (None when no row)."""

    metric_name = "trainguard.query.scalar"
    value_keys = ("query",)

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(
        cls,
        execution_engine: SqlAlchemyExecutionEngine,
        metric_domain_kwargs: dict,
        metric_value_kwargs: dict,
        metrics: dict[str, Any],
        runtime_configuration: dict,
    ) -> Any:
        batch_selectable, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, MetricDomainTypes.TABLE)
        query = cls._get_substituted_batch_subquery_from_query_and_batch_selectable(
            query=cls._get_query_from_metric_value_kwargs(metric_value_kwargs),
            batch_selectable=batch_selectable,
            execution_engine=execution_engine,
        )
        rows = cls._get_sqlalchemy_records_from_substituted_batch_subquery(query, execution_engine)
        if not rows:
            return None
        value = next(iter(rows[0].values()))
        return None if value is None else float(value)


class ExpectQueryValueToBeWithinTolerance(TextRenderers, BatchExpectation):
    __doc__ = f"""Expect a SQL value computed on the batch to equal an expected value within a relative tolerance.

    Passes when |observed - value| <= tolerance * |value| (exact equality when value is 0). A
    query that returns no row or NULL fails with that reason. SQL data sources only.

    Args:
        query (str): {QUERY_DESCRIPTION}
        value (float): {VALUE_DESCRIPTION}
        tolerance (float): {TOLERANCE_DESCRIPTION} Default 0.

    Code Examples:
        ExpectQueryValueToBeWithinTolerance(
            query="SELECT COUNT(DISTINCT pickup_zone) FROM {{batch}}", value=10, tolerance=0)
        -> observed 10: success; observed 11 (a new zone): failure.
    """

    query: str = pydantic.Field(description=QUERY_DESCRIPTION)
    value: float = pydantic.Field(description=VALUE_DESCRIPTION)
    tolerance: float = pydantic.Field(0.0, description=TOLERANCE_DESCRIPTION, ge=0)

    render_defaults: ClassVar[dict[str, Any]] = {"tolerance": 0.0}
    library_metadata: ClassVar[dict[str, Any]] = {
        "maturity": "experimental",
        "tags": ["trainguard", "value check"],
        "contributors": ["trainguard"],
    }

    metric_dependencies = ("trainguard.query.scalar",)
    success_keys = ("query", "value", "tolerance")
    args_keys = ("query", "value", "tolerance")

    class Config:
        title = "Expect query value to be within tolerance"

    @pydantic.validator("query")
    def _query_uses_batch(cls, query: str) -> str:
        if "{batch}" not in query:
            raise ValueError("query must select from {batch} so that it sees only the batch's rows")
        return query

    def _validate(
        self,
        metrics: dict,
        runtime_configuration: dict | None = None,
        execution_engine: ExecutionEngine | None = None,
    ) -> dict:
        observed = metrics.get("trainguard.query.scalar")
        details: dict[str, Any] = {"value": self.value, "tolerance": self.tolerance}
        if observed is None:
            return {
                "success": False,
                "result": {"observed_value": None, "details": {**details, "reason": "the query returned no value"}},
            }
        allowed = self.tolerance * abs(self.value)
        deviation = abs(observed - self.value)
        details["relative_deviation"] = None if self.value == 0 else round(deviation / abs(self.value), 6)
        return {"success": bool(deviation <= allowed), "result": {"observed_value": observed, "details": details}}

    @classmethod
    def _sentence(cls, kwargs: dict[str, Any]) -> str:
        return "$query must return $value (tolerance $tolerance)."

    @classmethod
    def _measured(cls, kwargs: dict[str, Any]) -> str:
        return "value of " + " ".join(str(kwargs.get("query") or "the query").split())

    @classmethod
    def _observed_text(cls, observed: Any, details: dict[str, Any], kwargs: dict[str, Any]) -> str:
        deviation = details.get("relative_deviation")
        off = "" if deviation is None else f", {deviation:.1%} off"
        return f"{number(observed)} (expected {number(kwargs.get('value'))} +- {percent(kwargs['tolerance'])}{off})"
