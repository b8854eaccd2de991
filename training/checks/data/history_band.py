"""A day's statistic against a band that follows the recent days that passed (a rolling baseline).

A fixed reference band assumes the feature is stationary; real features drift slowly (seasons,
schedules), and a fixed band then fails every day from some point on. This check derives its band
at run time: the median of the statistic over the last ``window`` days before the batch's day, plus
or minus ``k`` robust standard deviations (from the median step between consecutive days), never narrower
than ``floor`` nor than the days' own range widened by a quarter. The days are the reference
window's own values (written into the suite when it was scaffolded) followed by the values recorded
in ``trainguard_observations`` for this check on days whose latest validation of the suite
**passed**: a failed day never feeds the band, so an incident cannot widen it. With ``weekly`` the
band is taken over the same weekday when at least three such days are known. A frozen outer band
(``min_value`` / ``max_value``, from the reference window) is checked as well, so a persistent
incident cannot become the new normal by creeping in slowly.

Deequ's and Elementary's history-based anomaly checks work the same way; GX's own equivalent was
Cloud-only and is gone. The derived band is in each result's details (and in Data Docs).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import statistics
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from great_expectations.compatibility import pydantic
from great_expectations.compatibility.sqlalchemy import sqlalchemy as sa
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from great_expectations.expectations.expectation import BatchExpectation
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider
from great_expectations.expectations.registry import get_metric_kwargs
from great_expectations.validator.metric_configuration import MetricConfiguration

from training.checks.batches import batch_value
from training.checks.rendering import TextRenderers
from training.gx.summary import number as shown

if TYPE_CHECKING:
    from great_expectations.execution_engine import ExecutionEngine

# The statistic and the GX metric that computes it (bundled with the day's other aggregates).
STATISTICS = {"mean": "column.mean", "stdev": "column.standard_deviation", "row_count": "table.row_count"}
EXPECTATION_TYPE = "expect_day_statistic_to_be_within_history_band"
ROBUST_SD = 1.4826  # MAD x this estimates the standard deviation of a normal distribution
DEFAULTS: dict[str, Any] = {
    "column": None,
    "window": 28,
    "weekly": False,
    "floor": 0.0,
    "min_value": None,
    "max_value": None,
    "reference_values": [],
}


def rolling_band(days: list[tuple[str, float]], day: str, weekly: bool, k: float, floor: float) -> dict[str, Any]:
    """The band for ``day`` from the earlier ``days`` (non-empty, in date order).

    The center is the median of the days (of the same weekday with ``weekly``, when at least three
    are known). The day-to-day spread comes from the differences between consecutive days (of the
    same weekday with ``weekly``): 1.4826 x their median absolute value / sqrt(2) estimates one
    day's standard deviation, unbiased by a weekly pattern or a slow trend. The half-width is
    ``k`` such deviations, widened for the uncertainty of a median of n days (sqrt(1 + pi / 2n)),
    at least ``floor``, and the band covers the days' range widened by half of it.
    """
    groups: dict[int, list[float]] = {}
    for d, v in days:
        groups.setdefault(dt.date.fromisoformat(d).weekday() if weekly else 0, []).append(v)
    key = dt.date.fromisoformat(day).weekday() if weekly else 0
    same_weekday = weekly and len(groups.get(key, [])) >= 3
    if not same_weekday:
        groups, key = {0: [v for _, v in days]}, 0
    values = groups[key]
    center = statistics.median(values)
    steps = [abs(b - a) for group in groups.values() for a, b in itertools.pairwise(group)]
    sigma = ROBUST_SD * statistics.median(steps) / math.sqrt(2) if steps else 0.0
    half = max(k * sigma * math.sqrt(1 + math.pi / (2 * len(values))), floor)
    # Never narrower than the days' own range widened by half of it: a heavy-tailed statistic (an
    # appliance used on some days) has small steps on most days, and its ordinary peaks must pass.
    reach = 0.5 * (max(values) - min(values))
    low, high = min(center - half, min(values) - reach), max(center + half, max(values) + reach)
    return {"center": center, "low": low, "high": high, "same_weekday": same_weekday}


def history_days(
    day: str, reference: list[list[Any]], recorded: dict[str, float], window: int
) -> list[tuple[str, float]]:
    """The (day, value) pairs the band is derived from: reference values, then recorded passed days
    (a recorded value replaces a reference one of the same day), the last ``window`` before ``day``."""
    known = {str(d): float(v) for d, v in reference if v is not None and math.isfinite(float(v))}
    known.update(recorded)
    return sorted((d, v) for d, v in known.items() if d < day)[-window:]


class DayStatisticHistory(TableMetricProvider):
    """The batch's day and the values recorded for this suite's history bands on earlier days
    whose latest validation of ``suite`` passed, by column (or statistic, for row_count). One
    metric for all history bands of a suite: GX computes it once per batch (two small queries on
    trainguard's tables in the same warehouse)."""

    metric_name = "trainguard.day_statistic.history"
    value_keys = ("suite", "date_column", "window")

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(
        cls,
        execution_engine: SqlAlchemyExecutionEngine,
        metric_domain_kwargs: dict,
        metric_value_kwargs: dict,
        metrics: dict[str, Any],
        runtime_configuration: dict,
    ) -> dict[str, Any]:
        from training.warehouse.tables import observations, validations

        selectable, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, MetricDomainTypes.TABLE)
        found = batch_value(execution_engine, metric_value_kwargs["date_column"], selectable)
        if found is None:
            return {"day": None, "recorded": {}}
        day = found[:10]
        # Recorded days reach back further than the window: some of them may not have passed.
        since = (dt.date.fromisoformat(day) - dt.timedelta(days=2 * int(metric_value_kwargs["window"]))).isoformat()
        suite = metric_value_kwargs["suite"]
        if not sa.inspect(execution_engine.engine).has_table(observations.name):  # nothing recorded yet
            return {"day": day, "recorded": {}}
        observed = execution_engine.execute_query(
            sa.select(observations.c.column_name, observations.c.batch_value, observations.c.observed)
            .where(
                observations.c.suite == suite,
                observations.c.expectation_type == EXPECTATION_TYPE,
                observations.c.batch_value >= since,
                observations.c.batch_value < day,
            )
            .order_by(observations.c.run_at, observations.c.id)
        ).all()
        outcomes = execution_engine.execute_query(
            sa.select(validations.c.batch_value, validations.c.success)
            .where(validations.c.suite == suite, validations.c.batch_value >= since, validations.c.batch_value < day)
            .order_by(validations.c.run_at, validations.c.id)
        ).all()
        passed = {str(value): bool(success) for value, success in outcomes}  # the latest outcome decides
        recorded: dict[str, dict[str, float]] = {}
        for column, value, number in observed:  # the latest recording of each day
            if passed.get(str(value)):
                recorded.setdefault(str(column), {})[str(value)] = float(number)
        return {"day": day, "recorded": recorded}


class ExpectDayStatisticToBeWithinHistoryBand(TextRenderers, BatchExpectation):
    __doc__ = f"""Expect a day's statistic within a band derived from the recent days that passed.

    The band is the median of the statistic over the last ``window`` earlier days +- ``k`` robust
    standard deviations, at least ``floor`` wide on each side; the days are the reference
    window's values and then the recorded values of days whose validation passed. The frozen
    outer band ``min_value..max_value`` holds as well.

    Args:
        metric (str): the statistic: {", ".join(STATISTICS)}.
        suite (str): the suite whose recorded outcomes and values feed the band.
        date_column (str): the table's day column ('YYYY-MM-DD').
        k (float): robust standard deviations on each side of the median.
        column (str or None): the column (not for row_count).
        window (int): how many earlier days the band is derived from. Default 28.
        weekly (bool): derive the band from the same weekday when three or more are known.
        floor (float): the band's smallest half-width (sampling noise of a day's size).
        min_value, max_value (float or None): the frozen outer band (the reference window's).
        reference_values (list): [day, value] pairs of the reference window, the first history.

    Code Examples:
        ExpectDayStatisticToBeWithinHistoryBand(metric="mean", column="fare", suite="trips_daily",
            date_column="ds", k=4.5, floor=0.8, min_value=9.0, max_value=21.0,
            reference_values=[["2026-06-01", 14.2], ...])
        -> mean 14.9 with a band of 13.1..15.9 from the last 28 passed days: success.
    """

    metric: Literal[tuple(STATISTICS)] = pydantic.Field(description="The statistic.")  # type: ignore[valid-type]
    suite: str = pydantic.Field(description="The suite whose recorded outcomes feed the band.")
    date_column: str = pydantic.Field(description="The table's day column.")
    k: float = pydantic.Field(description="Robust standard deviations on each side of the median.", gt=0)
    column: str | None = pydantic.Field(None, description="The column (not for row_count).")
    window: int = pydantic.Field(28, description="Earlier days the band is derived from.", ge=3)
    weekly: bool = pydantic.Field(False, description="Use the same weekday when three or more are known.")
    floor: float = pydantic.Field(0.0, description="The band's smallest half-width.", ge=0)
    min_value: float | None = pydantic.Field(None, description="Frozen outer band, low end.")
    max_value: float | None = pydantic.Field(None, description="Frozen outer band, high end.")
    reference_values: list[list[Any]] = pydantic.Field(default_factory=list, description="[day, value] pairs.")

    render_defaults: ClassVar[dict[str, Any]] = DEFAULTS
    library_metadata: ClassVar[dict[str, Any]] = {
        "maturity": "experimental",
        "tags": ["trainguard", "rolling baseline", "value skew"],
        "contributors": ["trainguard"],
    }
    metric_dependencies = (DayStatisticHistory.metric_name,)
    success_keys = (
        "metric",
        "suite",
        "date_column",
        "k",
        "column",
        "window",
        "weekly",
        "floor",
        "min_value",
        "max_value",
        "reference_values",
    )
    args_keys = ("metric", "suite", "date_column", "k")

    class Config:
        title = "Expect day statistic to be within history band"

    @pydantic.root_validator(skip_on_failure=True)
    def _column_when_needed(cls, values: dict) -> dict:
        if values.get("metric") != "row_count" and not values.get("column"):
            raise ValueError(f"metric {values.get('metric')!r} needs a column")
        low, high = values.get("min_value"), values.get("max_value")
        if low is not None and high is not None and low > high:
            raise ValueError(f"min_value {low} is above max_value {high}")
        return values

    def get_validation_dependencies(
        self, execution_engine: ExecutionEngine | None = None, runtime_configuration: dict | None = None
    ) -> Any:
        dependencies = super().get_validation_dependencies(execution_engine, runtime_configuration)
        name = STATISTICS[self.metric]
        found = get_metric_kwargs(metric_name=name, configuration=self.configuration, runtime_configuration=None)
        dependencies.set_metric_configuration(
            metric_name=name,
            metric_configuration=MetricConfiguration(
                metric_name=name,
                metric_domain_kwargs=found["metric_domain_kwargs"],
                metric_value_kwargs=found["metric_value_kwargs"],
            ),
        )
        return dependencies

    def _validate(
        self, metrics: dict, runtime_configuration: dict | None = None, execution_engine: ExecutionEngine | None = None
    ) -> dict:
        history = metrics.get(DayStatisticHistory.metric_name) or {}
        current = metrics.get(STATISTICS[self.metric])
        current = None if current is None else float(current)
        details: dict[str, Any] = {"outer": [self.min_value, self.max_value]}
        if history.get("day") is None:
            return self._result(False, current, {**details, "reason": "the batch has no rows"})
        if current is None or not math.isfinite(current):
            return self._result(False, current, {**details, "reason": f"{self.metric} is undefined on this day"})
        outside = (self.min_value is not None and current < self.min_value) or (
            self.max_value is not None and current > self.max_value
        )
        recorded_values = (history.get("recorded") or {}).get(self.column or self.metric, {})
        days = history_days(history["day"], self.reference_values, recorded_values, self.window)
        if not days:
            ok = not outside
            return self._result(ok, current, {**details, "history_days": 0, "note": "no earlier day: outer band only"})
        found = rolling_band(days, history["day"], self.weekly, self.k, self.floor)
        low, high = found["low"], found["high"]
        details.update(
            center=round(found["center"], 6),
            band=[round(low, 6), round(high, 6)],
            history_days=len(days),
            recorded_days=sum(1 for d, _ in days if d in recorded_values),
            same_weekday=found["same_weekday"],
            first_day=days[0][0],
            last_day=days[-1][0],
        )
        if outside:
            details["reason_kind"] = "outside the frozen reference band"
        return self._result(bool(low <= current <= high and not outside), current, details)

    @staticmethod
    def _result(success: bool, observed: float | None, details: dict[str, Any]) -> dict:
        return {"success": bool(success), "result": {"observed_value": observed, "details": details}}

    @classmethod
    def _sentence(cls, kwargs: dict[str, Any]) -> str:
        subject = "$metric" if kwargs.get("column") is None else "$metric of $column"
        weekly = " on the same weekday" if kwargs.get("weekly") else ""
        outer = " and within the frozen band $min_value..$max_value" if kwargs.get("min_value") is not None else ""
        return (
            f"{subject} must be within the median +- $k robust standard deviations (at least $floor) "
            f"of the last $window days that passed{weekly}{outer}."
        )

    @classmethod
    def _measured(cls, kwargs: dict[str, Any]) -> str:
        return str(kwargs.get("metric")) + (f" of {kwargs['column']}" if kwargs.get("column") else "")

    @classmethod
    def _observed_text(cls, observed: Any, details: dict[str, Any], kwargs: dict[str, Any]) -> str:
        band = details.get("band")
        outer = details.get("outer") or [None, None]
        if not band:
            frozen = f"; frozen band {shown(outer[0])} to {shown(outer[1])}" if outer[0] is not None else ""
            return f"{shown(observed)} ({details.get('note', 'no history')}){frozen}"
        side = "inside" if band[0] <= observed <= band[1] else "outside"
        text = (
            f"{shown(observed)}, {side} the band {shown(band[0])} to {shown(band[1])} around "
            f"{shown(details.get('center'))} from the last {details.get('history_days')} days "
            f"({details.get('recorded_days')} recorded)"
        )
        if details.get("reason_kind"):
            text += f"; {details['reason_kind']} {shown(outer[0])} to {shown(outer[1])}"
        return text
