"""trainguard's data-check expectations: drift (PSI, Jensen-Shannon) on the pandas and SQL
engines with the same scores, interval checks against N days back, value checks with a
tolerance; each failing case says why and renders readably."""

from __future__ import annotations

import math
import statistics

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.conftest import statements_sent
from training.checks import (
    ExpectColumnJsDistanceToBeLessThan,
    ExpectColumnPsiToBeLessThan,
    ExpectDayMetricToBeWithinRatioOfDaysBack,
    ExpectQueryValueToBeWithinTolerance,
)
from training.checks.data.distributions import js_distance, psi

DAYS = {
    "2026-05-01": {"x": [1.0, 2.0, 3.0, 4.0] * 25, "c": ["a", "b", "a", "b"] * 25},
    "2026-05-02": {"x": [1.0, 2.0, 3.0, 4.0] * 25, "c": ["a", "b", "new", "new"] * 25},
    "2026-05-08": {"x": [1.0, 2.0, 3.0, 4.0] * 24 + [9.0] * 4, "c": ["a", "b", "a", "b"] * 25},
    "2026-05-09": {"x": [10.0, 20.0] * 20, "c": ["a", "b"] * 20},
    "2026-05-10": {"x": [None] * 10, "c": ["a"] * 10},
}
NUMERIC = {"column": "x", "bin_edges": [1.5, 2.5, 3.5], "reference_counts": [25, 25, 25, 25]}
CATEGORICAL = {"column": "c", "categories": ["a", "b"], "reference_counts": [50, 50, 0]}


def _frame(day: str) -> pd.DataFrame:
    return pd.DataFrame({"ds": day, **DAYS[day]})


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    """(SQL batch getter, pandas batch getter) over the same days."""
    from great_expectations.core.partitioners import PartitionerColumnValue

    import great_expectations as gx

    path = tmp_path_factory.mktemp("checks") / "w.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    pd.concat([_frame(d) for d in DAYS]).to_sql("t", engine, index=False)
    context = gx.get_context(mode="ephemeral")
    table = context.data_sources.add_sqlite("w", connection_string=f"sqlite:///{path}").add_table_asset("t", "t")
    daily = table.add_batch_definition("daily", partitioner=PartitionerColumnValue(column_name="ds"))
    frames = context.data_sources.add_pandas("p").add_dataframe_asset("d").add_batch_definition_whole_dataframe("all")
    return (
        lambda day: daily.get_batch(batch_parameters={"ds": day}),
        lambda day: frames.get_batch(batch_parameters={"dataframe": _frame(day)}),
    )


def test_scores_behave():
    assert psi([10, 10], [10, 10]) == 0
    assert js_distance([10, 10], [10, 10]) == 0
    assert js_distance([1, 0], [0, 1]) == pytest.approx(1.0)
    assert psi([1, 0], [0, 1]) > 5  # large but finite for empty buckets
    assert math.isfinite(psi([1, 0], [0, 1]))


@pytest.mark.parametrize("engine", [0, 1], ids=["sql", "pandas"])
@pytest.mark.parametrize(
    ("cls", "kwargs", "day", "success"),
    [
        (ExpectColumnPsiToBeLessThan, NUMERIC, "2026-05-01", True),
        (ExpectColumnPsiToBeLessThan, NUMERIC, "2026-05-09", False),
        (ExpectColumnJsDistanceToBeLessThan, NUMERIC, "2026-05-09", False),
        (ExpectColumnJsDistanceToBeLessThan, CATEGORICAL, "2026-05-01", True),
        (ExpectColumnJsDistanceToBeLessThan, CATEGORICAL, "2026-05-02", False),
        (ExpectColumnPsiToBeLessThan, CATEGORICAL, "2026-05-02", False),
    ],
)
def test_drift_verdicts_match_on_both_engines(batches, engine, cls, kwargs, day, success):
    result = batches[engine](day).validate(cls(threshold=0.1, **kwargs))
    assert result.success is success
    sql_score = batches[0](day).validate(cls(threshold=0.1, **kwargs)).result["observed_value"]
    assert result.result["observed_value"] == pytest.approx(sql_score)


def test_drift_failure_names_the_shift_and_renders(batches):
    result = batches[0]("2026-05-02").validate(ExpectColumnJsDistanceToBeLessThan(threshold=0.1, **CATEGORICAL))
    assert result.result["details"]["largest_shift"] == {"bucket": "other", "current": 0.5, "reference": 0.0}
    shown = ExpectColumnJsDistanceToBeLessThan._diagnostic_observed_value_renderer(result=result)
    assert shown.startswith("Jensen-Shannon distance 0.") and "largest shift in other: 50.0% now vs 0.0%" in shown
    expectation = ExpectColumnPsiToBeLessThan(threshold=0.2, reference_label="2026-04-01..2026-04-28", **NUMERIC)
    (block,) = ExpectColumnPsiToBeLessThan._prescriptive_renderer(configuration=expectation.configuration)
    text = block.string_template["template"]
    assert text == (
        "$column distribution must stay within PSI $threshold of the reference distribution over "
        "4 reference bins (window 2026-04-01..2026-04-28)."
    )


def test_all_null_column_fails_with_a_reason(batches):
    result = batches[0]("2026-05-10").validate(ExpectColumnPsiToBeLessThan(threshold=0.1, **NUMERIC))
    assert result.success is False
    assert result.result["details"]["reason"] == "no non-null values of 'x' to compare"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"column": "x", "bin_edges": [2.0, 1.0], "reference_counts": [1, 1, 1], "threshold": 0.1},
        {"column": "x", "bin_edges": [1.0], "reference_counts": [1, 1, 1], "threshold": 0.1},
        {"column": "x", "reference_counts": [1, 1], "threshold": 0.1},
        {"column": "x", "bin_edges": [1.0], "reference_counts": [0, 0], "threshold": 0.1},
    ],
)
def test_malformed_drift_configurations_are_rejected(kwargs):
    with pytest.raises(ValueError, match=r"bin_edges|reference_counts|exactly one"):
        ExpectColumnPsiToBeLessThan(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "day", "success", "reason"),
    [
        ({"metric": "row_count", "threshold": 1.1}, "2026-05-08", True, None),  # 100 vs 100 a week back
        ({"metric": "row_count", "threshold": 1.1, "days_back": 1}, "2026-05-09", False, None),  # 40 vs 100
        (
            {"metric": "mean", "column": "x", "threshold": 0.1, "ratio_formula": "relative_diff"},
            "2026-05-08",
            False,
            None,
        ),
        (
            {"metric": "row_count", "threshold": 1.5, "days_back": 7},
            "2026-05-02",
            False,
            "no rows on the reference day",
        ),
        (
            {"metric": "mean", "column": "x", "threshold": 2, "days_back": 1},
            "2026-05-10",
            False,
            "undefined on the current",
        ),
        ({"metric": "null_fraction", "column": "x", "threshold": 2, "days_back": 1}, "2026-05-10", False, None),
    ],
)
def test_interval_checks(batches, kwargs, day, success, reason):
    result = batches[0](day).validate(ExpectDayMetricToBeWithinRatioOfDaysBack(date_column="ds", **kwargs))
    assert result.success is success, result.result
    assert not result.exception_info.get("raised_exception")
    if reason:
        assert reason in result.result["details"]["reason"]


def _day_metric(metric: str, values: list) -> float:
    present = [v for v in values if v is not None]
    return {
        "row_count": lambda: len(values),
        "mean": lambda: sum(present) / len(present),
        "sum": lambda: sum(present),
        "min": lambda: min(present),
        "max": lambda: max(present),
        "null_fraction": lambda: (len(values) - len(present)) / len(values),
        "distinct_count": lambda: len(set(present)),
    }[metric]()


@pytest.mark.parametrize("metric", ["row_count", "mean", "sum", "min", "max", "null_fraction", "distinct_count"])
def test_interval_check_values_of_both_days(batches, metric):
    """The batch's value comes from the day's bundled aggregates, the reference day's from one
    read of that day (a distinct count reads both days itself); both equal the metric computed
    here."""
    batch = batches[0]("2026-05-09")
    check = ExpectDayMetricToBeWithinRatioOfDaysBack(
        date_column="ds", metric=metric, column=None if metric == "row_count" else "x", threshold=100, days_back=1
    )
    with statements_sent() as sent:
        result = batch.validate(check)
    assert result.result["observed_value"] == pytest.approx(_day_metric(metric, DAYS["2026-05-09"]["x"]))
    assert result.result["details"]["reference"] == pytest.approx(_day_metric(metric, DAYS["2026-05-08"]["x"]))
    own_reads = [s for s in sent if "FROM t WHERE ds" in s and "(SELECT * FROM t" not in s]
    if metric == "distinct_count":
        assert own_reads == ["SELECT ds, count(DISTINCT x) AS count_1 FROM t WHERE ds IN (?, ?) GROUP BY ds"]
    else:
        assert len(own_reads) == 1 and own_reads[0].endswith("FROM t WHERE ds = ?"), own_reads


def test_zero_against_a_value_is_a_failure_not_ignored(batches):
    # null_fraction 0.0 on 05-09 against 1.0 on 05-10: max_over_min is infinite, never "ignored".
    result = batches[0]("2026-05-10").validate(
        ExpectDayMetricToBeWithinRatioOfDaysBack(
            date_column="ds", metric="null_fraction", column="x", threshold=100, days_back=1
        )
    )
    assert result.success is False and result.result["details"]["ratio"] is None
    shown = ExpectDayMetricToBeWithinRatioOfDaysBack._diagnostic_observed_value_renderer(result=result)
    assert shown == "1 vs 0 on 2026-05-09 (max_over_min infinite, threshold 100)"


def test_interval_check_needs_a_column_for_column_metrics():
    with pytest.raises(ValueError, match="needs a column"):
        ExpectDayMetricToBeWithinRatioOfDaysBack(date_column="ds", metric="mean", threshold=1.2)


@pytest.mark.parametrize(
    ("value", "tolerance", "success"),
    [(100, 0, True), (90, 0.1, False), (95, 0.1, True), (110, 0.05, False)],
)
def test_value_check_with_tolerance(batches, value, tolerance, success):
    check = ExpectQueryValueToBeWithinTolerance(query="SELECT COUNT(*) FROM {batch}", value=value, tolerance=tolerance)
    result = batches[0]("2026-05-01").validate(check)
    assert result.success is success
    assert result.result["observed_value"] == 100


def test_value_check_query_must_use_the_batch():
    with pytest.raises(ValueError, match="must select from"):
        ExpectQueryValueToBeWithinTolerance(query="SELECT COUNT(*) FROM t", value=1)


def test_value_check_without_a_value_fails_with_a_reason(batches):
    check = ExpectQueryValueToBeWithinTolerance(query="SELECT MAX(x) FROM {batch}", value=1)
    result = batches[0]("2026-05-10").validate(check)
    assert result.success is False and result.result["details"]["reason"] == "the query returned no value"


def test_a_median_over_reference_days_reads_only_the_days_it_uses(batches):
    """The median takes the nearest ``reference_days`` days with rows: those are read first, and
    earlier days only in place of days without rows (up to 3 x reference_days days back)."""
    nearest = ExpectDayMetricToBeWithinRatioOfDaysBack(
        date_column="ds", metric="row_count", threshold=100, days_back=1, reference_days=2
    )
    with statements_sent() as sent:
        result = batches[0]("2026-05-10").validate(nearest)
    assert result.result["details"]["reference_day"] == "median of 2026-05-09, 2026-05-08"
    assert result.result["details"]["reference"] == statistics.median([40, 100])
    reads = [s for s in sent if "FROM t WHERE ds IN" in s]
    assert reads == ["SELECT ds, count(*) AS count_1 FROM t WHERE ds IN (?, ?) GROUP BY ds"]

    # A week back from 05-09 only 05-02 has rows: the empty days are replaced one by one.
    sparse = ExpectDayMetricToBeWithinRatioOfDaysBack(
        date_column="ds", metric="row_count", threshold=100, days_back=7, reference_days=2
    )
    with statements_sent() as sent:
        result = batches[0]("2026-05-09").validate(sparse)
    assert result.result["details"]["reference_day"] == "median of 2026-05-02"
    assert result.result["details"]["reference"] == 100
    reads = [s for s in sent if "FROM t WHERE ds IN" in s]
    assert [s.count("?") for s in reads] == [2, 1, 1, 1, 1]
