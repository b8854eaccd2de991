"""The fast path of a day's validation: counts instead of sorts, one bundled scan, no listing of
the table's history, and the same verdicts as GX's stock expectations."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest
import sqlalchemy as sa

from tests.conftest import make_project, statements_sent
from tests.shapes import wide_day

START = dt.date(2026, 3, 2)
DAYS = [START + dt.timedelta(days=i) for i in range(10)]


def _nearest_rank(values: list[float], q: float) -> float:
    """PostgreSQL's percentile_disc: the smallest value whose cumulative share is >= q."""
    ordered = sorted(values)
    for i, v in enumerate(ordered, start=1):
        if i / len(ordered) >= q:
            return v
    return ordered[-1]


@pytest.fixture(scope="module")
def context_and_batch(tmp_path_factory):
    """A GX batch of 400 seeded values with many ties (integers 0..20), on the SQL engine."""
    import great_expectations as gx
    from training.extensions import install as register_extensions

    register_extensions()
    path = tmp_path_factory.mktemp("quantiles") / "q.db"
    rng = random.Random(5)
    values = [rng.randint(0, 20) for _ in range(400)]
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (x INTEGER, y REAL)"))
        conn.execute(
            sa.text("INSERT INTO t VALUES (:x, :y)"),
            [{"x": v, "y": None if i % 7 == 0 else v + 0.5} for i, v in enumerate(values)],
        )
    context = gx.get_context(mode="ephemeral")
    asset = context.data_sources.add_sqlite("q", connection_string=f"sqlite:///{path}").add_table_asset("t", "t")
    batch = asset.add_batch_definition_whole_table("all").get_batch()
    return batch, values


def test_quantile_ranges_from_counts_match_sorted_quantiles(context_and_batch):
    """Ranges around, on and past each true quantile (ties included): the count-based verdict
    is exactly the verdict of the nearest-rank quantile."""
    from training.checks import ExpectColumnQuantilesToBeBetween

    batch, values = context_and_batch
    quantiles = [0.05, 0.25, 0.5, 0.75, 0.95]
    true = [_nearest_rank(values, q) for q in quantiles]
    cases = 0
    for lo_shift, hi_shift in [(0, 0), (-1, 1), (1, 2), (-2, -1), (0.5, 1), (-1, -0.5), (None, 0), (0, None)]:
        ranges = [
            [None if lo_shift is None else t + lo_shift, None if hi_shift is None else t + hi_shift] for t in true
        ]
        expected = [
            (lo is None or t >= lo) and (hi is None or t <= hi) for t, (lo, hi) in zip(true, ranges, strict=True)
        ]
        result = batch.validate(
            ExpectColumnQuantilesToBeBetween(
                column="x", quantile_ranges={"quantiles": quantiles, "value_ranges": ranges}
            )
        )
        got = [c["success"] for c in result.result["details"]["quantiles"]]
        assert got == expected, (lo_shift, hi_shift)
        assert result.success is all(expected)
        cases += len(expected)
    assert cases == 40


def test_quantile_expectation_ignores_nulls_and_explains_a_failure(context_and_batch):
    from training.checks import ExpectColumnQuantilesToBeBetween

    batch, values = context_and_batch
    median = _nearest_rank([v + 0.5 for i, v in enumerate(values) if i % 7], 0.5)
    passing = batch.validate(
        ExpectColumnQuantilesToBeBetween(
            column="y", quantile_ranges={"quantiles": [0.5], "value_ranges": [[median, median]]}
        )
    )
    assert passing.success
    assert passing.result["details"]["values"] == len([i for i in range(400) if i % 7])
    failing = batch.validate(
        ExpectColumnQuantilesToBeBetween(
            column="y", quantile_ranges={"quantiles": [0.5], "value_ranges": [[median + 1, median + 2]]}
        )
    )
    assert not failing.success
    assert failing.result["details"]["failed_quantiles"] == [0.5]
    # A range with min > max is evaluated as GX's quantile check does: it fails (the median is
    # near neither bound).
    reversed_range = batch.validate(
        ExpectColumnQuantilesToBeBetween(column="y", quantile_ranges={"quantiles": [0.5], "value_ranges": [[3, 1]]})
    )
    assert not reversed_range.success


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory):
    from training.scaffold.register import scaffold_suite
    from training.warehouse.engine import get_engine
    from training.warehouse.writer import write_days

    settings, _ = make_project(tmp_path_factory.mktemp("scan"))
    engine = get_engine(settings.warehouse_url)
    write_days(engine, "events", "event_day", {d: wide_day(d) for d in DAYS})
    scaffold_suite("events_daily", "events", "event_day", (DAYS[0], DAYS[8]), settings=settings)
    return settings


def test_a_day_is_validated_without_listing_history_or_sorting(scaffolded):
    """The statements of one day's run: no DISTINCT over the date column (GX's batch listing),
    no per-column quantile or bucket queries; every aggregate metric rides one bundled scan."""
    from training.gx.run import run_checkpoint

    statements: list[str] = []
    limits: list[int] = []

    def seen(conn, cursor, statement, parameters, *args):
        statements.append(" ".join(statement.split()))
        if "unexpected_values" in statement:
            limits.append(parameters[-2])  # SQLite: LIMIT ? OFFSET ?

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", seen)
    try:
        result = run_checkpoint("events_daily", [str(DAYS[9])], settings=scaffolded)
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", seen)
    assert result.success, result.results[0].failures
    on_table = [s for s in statements if "FROM events" in s or "FROM (SELECT * FROM events" in s]
    assert not [s for s in on_table if "distinct(event_day)" in s.lower() or "DISTINCT event_day" in s]
    assert not [s for s in on_table if "ORDER BY" in s and "OFFSET" in s], "quantiles must not sort the day"
    grouped = [s for s in on_table if "GROUP BY" in s and "event_day" not in s.split("GROUP BY")[-1]]
    # The only grouped scans are distinct counts (count(DISTINCT) in the bundle would stop
    # PostgreSQL from running it in parallel); bucket counts join the bundled query.
    assert grouped and all(s.startswith("SELECT count(*) AS count_1, coalesce(sum(anon_") for s in grouped), grouped
    assert not [s for s in on_table if "count(DISTINCT" in s]
    # Examples of unexpected values are not asked for (``partial_unexpected_count`` 0): no
    # statement for them at all (empty_lists), not even one with LIMIT 0.
    assert limits == []
    assert len([s for s in on_table if "FILTER (WHERE" in s]) == 1, "drift and quantile counts: one statement"


def test_a_range_validates_every_day_with_the_suite_it_started_with(scaffolded):
    """A run loads the checkpoint once and does not re-read it before each day: a suite edited
    on disk mid-range takes effect on the next run, while GX still refuses a stale object that
    was not loaded by trainguard's runner."""
    from great_expectations.exceptions import CheckpointRelatedResourcesFreshnessError

    from training.extensions import open_context
    from training.gx.run import run_checkpoint

    suite_file = scaffolded.gx_root / "expectations" / "events_daily.json"
    original = suite_file.read_text()
    shortened = json.loads(original)
    shortened["expectations"] = shortened["expectations"][:3]

    def edit_suite(result) -> None:
        suite_file.write_text(json.dumps(shortened))

    stale = open_context(scaffolded).checkpoints.get("events_daily")
    try:
        run = run_checkpoint("events_daily", [str(DAYS[8]), str(DAYS[9])], settings=scaffolded, on_result=edit_suite)
        with pytest.raises(CheckpointRelatedResourcesFreshnessError):
            stale.run(batch_parameters={"event_day": str(DAYS[9])})
        after = run_checkpoint("events_daily", [str(DAYS[9])], settings=scaffolded)
    finally:
        suite_file.write_text(original)
    assert [r.evaluated for r in run.results] == [len(json.loads(original)["expectations"])] * 2
    assert after.results[0].evaluated == 3


def test_plain_gx_still_lists_batches_when_the_day_is_unknown(scaffolded):
    """Outside trainguard's runner (GX used directly) the partitioner lists batches as GX does,
    so an unknown day is still reported by GX rather than validated as an empty batch."""
    from training.extensions import open_context

    context = open_context(scaffolded)
    checkpoint = context.checkpoints.get("events_daily")
    with pytest.raises(Exception, match=r"(?i)no .*batch|not found|available"):
        checkpoint.run(batch_parameters={"event_day": "2031-01-01"})


def test_quantile_expectation_on_the_pandas_engine_matches_sql(context_and_batch):
    """The same counts on a DataFrame (open bounds included) give the same verdicts."""
    import pandas as pd

    import great_expectations as gx
    from training.checks import ExpectColumnQuantilesToBeBetween

    batch, values = context_and_batch
    ranges = {"quantiles": [0.25, 0.5, 0.75], "value_ranges": [[None, 5], [9, 11], [14, None]]}
    frame = pd.DataFrame({"x": values})
    source = gx.get_context(mode="ephemeral").data_sources.add_pandas("p")
    pandas_batch = source.add_dataframe_asset("f").add_batch_definition_whole_dataframe("all")
    on_pandas = pandas_batch.get_batch(batch_parameters={"dataframe": frame}).validate(
        ExpectColumnQuantilesToBeBetween(column="x", quantile_ranges=ranges)
    )
    on_sql = batch.validate(ExpectColumnQuantilesToBeBetween(column="x", quantile_ranges=ranges))
    assert on_pandas.result["details"] == on_sql.result["details"]
    assert on_pandas.success == on_sql.success


@pytest.mark.parametrize("column", ["x", "y"])
def test_distinct_expectations_match_gx_on_sql_and_pandas(context_and_batch, column):
    """Same observed values and verdicts as GX's count(DISTINCT) expectations, nulls ignored."""
    import pandas as pd

    import great_expectations as gx
    from great_expectations.expectations import (
        ExpectColumnProportionOfUniqueValuesToBeBetween,
        ExpectColumnUniqueValueCountToBeBetween,
    )
    from training.checks import (
        ExpectColumnDistinctCountToBeBetween,
        ExpectColumnDistinctProportionToBeBetween,
    )

    batch, values = context_and_batch
    frame = pd.DataFrame({"x": values, "y": [None if i % 7 == 0 else v + 0.5 for i, v in enumerate(values)]})
    source = gx.get_context(mode="ephemeral").data_sources.add_pandas("p")
    pandas_batch = source.add_dataframe_asset("f").add_batch_definition_whole_dataframe("all")
    on_pandas = pandas_batch.get_batch(batch_parameters={"dataframe": frame})
    pairs = [
        (
            ExpectColumnDistinctCountToBeBetween,
            ExpectColumnUniqueValueCountToBeBetween,
            [(21, 21), (5, 20), (None, 21)],
        ),
        (
            ExpectColumnDistinctProportionToBeBetween,
            ExpectColumnProportionOfUniqueValuesToBeBetween,
            [(0.0, 0.06), (0.06, 1.0), (0.05, None)],
        ),
    ]
    for ours, stock, ranges in pairs:
        for lo, hi in ranges:
            expected = batch.validate(stock(column=column, min_value=lo, max_value=hi))
            for target in (batch, on_pandas):
                got = target.validate(ours(column=column, min_value=lo, max_value=hi))
                assert got.success == expected.success, (ours.__name__, column, lo, hi)
                assert got.result["observed_value"] == pytest.approx(expected.result["observed_value"])


@pytest.mark.parametrize(
    ("extra", "scans"),
    [
        ([], 0),  # only known values: both answers come from the bundled counts
        (["zz"] * 3, 1),  # a rare new value: the mode is still decided, the distinct count scans
        (["zz"] * 300, 2),  # a new value more frequent than any known one: both scan
        (["b"] * 20, 0),  # a tie for the most common value
    ],
)
def test_distinct_count_and_mode_from_known_value_counts(tmp_path, extra, scans):
    """With ``known_values``, the distinct count and the modes match GX's stock expectations,
    and a grouped scan of the batch runs only when the known-value counts cannot decide."""
    import great_expectations as gx
    from great_expectations.expectations import (
        ExpectColumnMostCommonValueToBeInSet,
        ExpectColumnUniqueValueCountToBeBetween,
    )
    from training.checks import ExpectColumnDistinctCountToBeBetween, ExpectColumnModeToBeInSet
    from training.extensions import install as register_extensions

    register_extensions()
    rng = random.Random(3)
    kinds = [rng.choice("aab" * 3 + "c") for _ in range(200)] + extra + [None] * 9
    path = tmp_path / "k.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE k (kind TEXT)"))
        conn.execute(sa.text("INSERT INTO k VALUES (:kind)"), [{"kind": k} for k in kinds])
    engine.dispose()
    context = gx.get_context(mode="ephemeral")
    asset = context.data_sources.add_sqlite("k", connection_string=f"sqlite:///{path}").add_table_asset("k", "k")
    batch = asset.add_batch_definition_whole_table("all").get_batch()
    known = ["a", "b", "c"]
    suite = gx.ExpectationSuite(
        name="k",
        expectations=[
            ExpectColumnDistinctCountToBeBetween(column="kind", min_value=3, max_value=3, known_values=known),
            ExpectColumnModeToBeInSet(column="kind", value_set=["a"], known_values=known),
        ],
    )
    with statements_sent() as statements:
        ours = batch.validate(suite, result_format={"result_format": "SUMMARY", "partial_unexpected_count": 0})
    stock = batch.validate(
        gx.ExpectationSuite(
            name="stock",
            expectations=[
                ExpectColumnUniqueValueCountToBeBetween(column="kind", min_value=3, max_value=3),
                ExpectColumnMostCommonValueToBeInSet(column="kind", value_set=["a"]),
            ],
        )
    )
    for mine, theirs in zip(ours.results, stock.results, strict=True):
        assert mine.success == theirs.success
        observed = theirs.result["observed_value"]
        assert mine.result["observed_value"] == (sorted(observed) if isinstance(observed, list) else observed)
    assert len([s for s in statements if "GROUP BY" in s]) == scans, statements
