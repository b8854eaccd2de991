"""Interval checks: a metric of the batch's day against the same metric N days back.

Like Airflow's ``SQLIntervalCheckOperator`` (same ``max_over_min`` and ``relative_diff``
ratios), but as a GX expectation so it shows in Data Docs, and stricter: an empty current or
reference day is a failed expectation with a reason, and a zero is compared like any value.
The batch's own value is one more aggregate of the day's bundled query (``one_bundle``); the
reference day is read with ``date_column = :reference_day`` so an index is used; with
``reference_days`` > 1 the median over several such days (every ``days_back`` days) is the
reference, so one incident among them does not fail the next normal day. A distinct
count is the exception: ``count(DISTINCT ...)`` in the bundle would stop PostgreSQL from
aggregating in parallel, so both days are read by one query of their own.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from great_expectations.compatibility import pydantic
from great_expectations.compatibility.sqlalchemy import sqlalchemy as sa
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.core.metric_function_types import MetricPartialFunctionTypes
from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from great_expectations.expectations.expectation import BatchExpectation
from great_expectations.expectations.metrics.metric_provider import metric_partial, metric_value
from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider
from great_expectations.validator.metric_configuration import MetricConfiguration

from training.checks.batches import batch_value
from training.checks.ratios import RATIO_FORMULAS, ratio
from training.checks.rendering import TextRenderers
from training.gx.summary import number

if TYPE_CHECKING:
    from great_expectations.execution_engine import ExecutionEngine

DAY_METRICS = ("row_count", "mean", "sum", "min", "max", "null_fraction", "distinct_count")
METRIC_DESCRIPTION = f"What to compare: one of {', '.join(DAY_METRICS)}."
COLUMN_DESCRIPTION = "The column the metric is computed on (not needed for row_count)."
DATE_COLUMN_DESCRIPTION = "The table's day column, holding 'YYYY-MM-DD'."
DAYS_BACK_DESCRIPTION = "How far back the reference day is: 1 for yesterday, 7 for the same weekday last week."
RATIO_FORMULA_DESCRIPTION = "'max_over_min' (max(a, b) / min(a, b)) or 'relative_diff' (|a - b| / |b|)."
THRESHOLD_DESCRIPTION = "Largest ratio that still passes."
REFERENCE_DAYS_DESCRIPTION = (
    "How many reference days: days_back, 2 x days_back, ... earlier; the median of their values is "
    "compared, so one incident among them cannot make a normal day fail. Days without rows are skipped "
    "(up to three times as many earlier days are looked at)."
)
DEFAULTS: dict[str, Any] = {"column": None, "days_back": 7, "ratio_formula": "max_over_min", "reference_days": 1}


def _metric_expression(metric: str, column: str | None) -> Any:
    """The metric as one aggregate, in double precision (PostgreSQL would otherwise return
    ``numeric`` for integer columns)."""
    if metric == "row_count":
        return sa.func.count()
    col = sa.column(column)
    return {
        "mean": lambda: sa.func.avg(sa.cast(col, sa.Float)),
        "sum": lambda: sa.cast(sa.func.sum(col), sa.Float),
        "min": lambda: sa.func.min(col),
        "max": lambda: sa.func.max(col),
        "null_fraction": lambda: (
            sa.cast(sa.func.count() - sa.func.count(col), sa.Float) / sa.func.nullif(sa.func.count(), 0)
        ),
        "distinct_count": lambda: sa.func.count(sa.distinct(col)),
    }[metric]()


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


class DayMetricCurrent(TableMetricProvider):
    """The metric on the batch's own rows, as a partial aggregate that GX bundles with the day's
    other aggregates."""

    metric_name = "trainguard.day_metric.current"
    value_keys = ("metric", "column")

    @metric_partial(
        engine=SqlAlchemyExecutionEngine,
        partial_fn_type=MetricPartialFunctionTypes.AGGREGATE_FN,
        domain_type=MetricDomainTypes.TABLE,
    )
    def _sqlalchemy(
        cls, execution_engine: Any, metric_domain_kwargs: dict, metric_value_kwargs: dict, **kwargs: Any
    ) -> tuple:
        expression = _metric_expression(metric_value_kwargs["metric"], metric_value_kwargs.get("column"))
        return expression, metric_domain_kwargs, {}


class DayMetricPair(TableMetricProvider):
    """The metric on the batch's day and on the day ``days_back`` earlier, from the batch's table."""

    metric_name = "trainguard.day_metric.pair"
    value_keys = ("metric", "column", "date_column", "days_back", "reference_days")

    @classmethod
    def _get_evaluation_dependencies(
        cls,
        metric: MetricConfiguration,
        configuration: Any = None,
        execution_engine: ExecutionEngine | None = None,
        runtime_configuration: dict | None = None,
    ) -> dict:
        found = super()._get_evaluation_dependencies(metric, configuration, execution_engine, runtime_configuration)
        value_kwargs = metric.metric_value_kwargs or {}
        if value_kwargs.get("metric") != "distinct_count" and isinstance(execution_engine, SqlAlchemyExecutionEngine):
            found[DayMetricCurrent.metric_name] = MetricConfiguration(
                metric_name=DayMetricCurrent.metric_name,
                metric_domain_kwargs=metric.metric_domain_kwargs,
                metric_value_kwargs={"metric": value_kwargs.get("metric"), "column": value_kwargs.get("column")},
            )
        return found

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(
        cls,
        execution_engine: SqlAlchemyExecutionEngine,
        metric_domain_kwargs: dict,
        metric_value_kwargs: dict,
        metrics: dict[str, Any],
        runtime_configuration: dict,
    ) -> dict[str, Any]:
        selectable, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, MetricDomainTypes.TABLE)
        spec = execution_engine.batch_manager.active_batch_spec or {}
        if not spec.get("table_name"):
            raise ValueError("interval checks need a table asset (the reference day is read from the same table)")
        date_column = metric_value_kwargs["date_column"]
        found = batch_value(execution_engine, date_column, selectable)
        day = None if found is None else found[:10]
        if day is None:
            return {"day": None, "reference_day": None, "current": None, "reference": None}
        back = int(metric_value_kwargs["days_back"])
        count = int(metric_value_kwargs.get("reference_days") or 1)
        # With a median over several days, days without rows (a shop closed on Mondays for a few
        # weeks) are skipped: up to three times as many earlier days are looked at.
        reach = count if count == 1 else 3 * count
        first = dt.date.fromisoformat(day)
        reference_days = [(first - dt.timedelta(days=back * i)).isoformat() for i in range(1, reach + 1)]
        table = sa.table(spec["table_name"], sa.column(date_column), schema=spec.get("schema_name"))
        day_col = sa.column(date_column)
        expression = _metric_expression(metric_value_kwargs["metric"], metric_value_kwargs.get("column"))
        if DayMetricCurrent.metric_name in metrics and count == 1:
            # One reference day, the batch's value from the bundle: one indexed read of that day.
            query = sa.select(sa.func.count(), expression).select_from(table).where(day_col == reference_days[0])
            rows, reference = execution_engine.execute_query(query).one()
            by_day = {reference_days[0]: reference} if rows else {}
            current = metrics[DayMetricCurrent.metric_name]
        else:
            # Only the nearest ``count`` days with rows count: read them first and look further
            # back only for days that had none (same days, same values as one read of every day
            # looked at, which counted up to three times as many days' rows).
            in_bundle = DayMetricCurrent.metric_name in metrics
            by_day: dict[str, Any] = {}
            start, wanted = 0, ([] if in_bundle else [day])
            while True:
                missing = count - sum(d in by_day for d in reference_days[:start])
                if missing <= 0 or start >= len(reference_days):
                    break
                wanted += reference_days[start : start + missing]
                start += missing
                query = sa.select(day_col, expression).select_from(table).where(day_col.in_(wanted)).group_by(day_col)
                by_day.update({str(d)[:10]: v for d, v in execution_engine.execute_query(query).fetchall()})
                wanted = []
            current = metrics[DayMetricCurrent.metric_name] if in_bundle else by_day.get(day)
        found = [d for d in reference_days if d in by_day][:count]
        values = [float(by_day[d]) for d in found if by_day[d] is not None]
        return {
            "day": day,
            "reference_day": reference_days[0] if count == 1 else f"median of {', '.join(found) or 'no day'}",
            "reference_days": found,
            "current": _number(current),
            "reference": statistics.median(values) if values else None,
            "reference_rows": bool(found),
        }


class ExpectDayMetricToBeWithinRatioOfDaysBack(TextRenderers, BatchExpectation):
    __doc__ = f"""Expect a metric of the batch's day to be within a ratio of the same metric N days back.

    The batch is one day of a daily-partitioned table; the reference day is read from the same
    table with the same predicate. Unlike Airflow's interval check, a reference day with no rows
    fails with that reason (it does not crash), and a zero on either side is compared like any
    other value (0 against a non-zero value is an infinite ratio, so a collapse always fails).

    Args:
        metric (str): {METRIC_DESCRIPTION}
        date_column (str): {DATE_COLUMN_DESCRIPTION}
        threshold (float): {THRESHOLD_DESCRIPTION}
        column (str or None): {COLUMN_DESCRIPTION}
        days_back (int): {DAYS_BACK_DESCRIPTION} Default 7.
        ratio_formula (str): {RATIO_FORMULA_DESCRIPTION} Default 'max_over_min'.
        reference_days (int): {REFERENCE_DAYS_DESCRIPTION} Default 1.

    Code Examples:
        ExpectDayMetricToBeWithinRatioOfDaysBack(metric="row_count", date_column="ds",
                                                 days_back=7, threshold=1.3)
        -> 1,410 rows vs 1,380 a week earlier: max_over_min 1.02, success.
        -> 690 rows vs 1,380: max_over_min 2.0, failure.
    """

    metric: Literal[DAY_METRICS] = pydantic.Field(description=METRIC_DESCRIPTION)  # type: ignore[valid-type]
    date_column: str = pydantic.Field(description=DATE_COLUMN_DESCRIPTION)
    threshold: float = pydantic.Field(description=THRESHOLD_DESCRIPTION, ge=0)
    column: str | None = pydantic.Field(DEFAULTS["column"], description=COLUMN_DESCRIPTION)
    days_back: int = pydantic.Field(DEFAULTS["days_back"], description=DAYS_BACK_DESCRIPTION, ge=1)
    ratio_formula: Literal[RATIO_FORMULAS] = pydantic.Field(  # type: ignore[valid-type]
        DEFAULTS["ratio_formula"], description=RATIO_FORMULA_DESCRIPTION
    )
    reference_days: int = pydantic.Field(DEFAULTS["reference_days"], description=REFERENCE_DAYS_DESCRIPTION, ge=1)

    render_defaults: ClassVar[dict[str, Any]] = DEFAULTS
    library_metadata: ClassVar[dict[str, Any]] = {
        "maturity": "experimental",
        "tags": ["trainguard", "interval check", "value skew"],
        "contributors": ["trainguard"],
    }

    metric_dependencies = ("trainguard.day_metric.pair",)
    success_keys = ("metric", "column", "date_column", "days_back", "ratio_formula", "threshold", "reference_days")
    args_keys = ("metric", "date_column", "threshold")

    class Config:
        title = "Expect day metric to be within ratio of days back"

    @pydantic.root_validator(skip_on_failure=True)
    def _column_when_needed(cls, values: dict) -> dict:
        if values.get("metric") != "row_count" and not values.get("column"):
            raise ValueError(f"metric {values.get('metric')!r} needs a column")
        return values

    def _validate(
        self,
        metrics: dict,
        runtime_configuration: dict | None = None,
        execution_engine: ExecutionEngine | None = None,
    ) -> dict:
        pair = metrics.get("trainguard.day_metric.pair") or {}
        details = {
            "day": pair.get("day"),
            "reference_day": pair.get("reference_day"),
            "reference": pair.get("reference"),
            "ratio_formula": self.ratio_formula,
            "threshold": self.threshold,
        }
        reason = self._missing_reason(pair)
        if reason:
            return {
                "success": False,
                "result": {"observed_value": pair.get("current"), "details": {**details, "reason": reason}},
            }
        found = ratio(self.ratio_formula, pair["current"], pair["reference"])
        return {
            "success": bool(found <= self.threshold),
            "result": {
                "observed_value": pair["current"],
                "details": {**details, "ratio": None if math.isinf(found) else round(found, 6)},
            },
        }

    def _missing_reason(self, pair: dict) -> str | None:
        subject = self.metric if self.column is None else f"{self.metric} of {self.column}"
        if pair.get("day") is None:
            return "the batch has no rows"
        if not pair.get("reference_rows"):
            if self.reference_days == 1:
                return f"no rows on the reference day {pair['reference_day']} ({self.days_back} days back)"
            return f"no rows on any of the {3 * self.reference_days} days looked at (every {self.days_back} days back)"
        if pair.get("current") is None or pair.get("reference") is None:
            side = "current" if pair.get("current") is None else "reference"
            return f"{subject} is undefined on the {side} day (all values null)"
        return None

    @classmethod
    def _sentence(cls, kwargs: dict[str, Any]) -> str:
        subject = "$metric" if kwargs.get("column") is None else "$metric of $column"
        if int(kwargs.get("reference_days") or 1) > 1:
            return (
                f"{subject} must be within $ratio_formula $threshold of its median over the "
                "$reference_days days that are a multiple of $days_back days back."
            )
        return f"{subject} must be within $ratio_formula $threshold of its value $days_back days back."

    @classmethod
    def _measured(cls, kwargs: dict[str, Any]) -> str:
        return str(kwargs.get("metric")) + (f" of {kwargs['column']}" if kwargs.get("column") else "")

    @classmethod
    def _observed_text(cls, observed: Any, details: dict[str, Any], kwargs: dict[str, Any]) -> str:
        found = details.get("ratio")
        shown = "infinite" if found is None else number(found)
        return (
            f"{number(observed)} vs {number(details.get('reference'))} "
            f"{'on ' if not str(details.get('reference_day')).startswith('median') else ''}"
            f"{details.get('reference_day')} ({details.get('ratio_formula')} {shown}, "
            f"threshold {number(details.get('threshold'))})"
        )
