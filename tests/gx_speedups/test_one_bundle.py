"""GX's aggregate metrics of one batch meet in one bundled scan (training/gx_speedups/one_bundle.py):
row count, column aggregates, row-level unexpected counts and (except on SQLite) the standard
deviation, with the values GX's stock expectations report."""

from __future__ import annotations

import contextlib
import random
import statistics
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.conftest import postgres_database, statements_sent

ROWS = 500


def _values() -> list[dict]:
    rng = random.Random(17)
    return [
        {
            "x": None if i % 11 == 0 else rng.randint(0, 40),
            "y": rng.gauss(10, 3),
            "kind": rng.choice(["a", "b", "c", "zz"]),
        }
        for i in range(ROWS)
    ]


def _batch(url: str, backend: str):
    """A GX batch of table ``t`` (the seeded rows) at ``url``."""
    import great_expectations as gx

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (x INTEGER, y DOUBLE PRECISION, kind VARCHAR(8))"))
        conn.execute(sa.text("INSERT INTO t VALUES (:x, :y, :kind)"), _values())
    engine.dispose()
    context = gx.get_context(mode="ephemeral")
    add = context.data_sources.add_sqlite if backend == "sqlite" else context.data_sources.add_postgres
    return add("w", connection_string=url).add_table_asset("t", "t").add_batch_definition_whole_table("all").get_batch()


@contextlib.contextmanager
def _warehouse(backend: str, tmp_path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'w.db'}"
    else:
        with postgres_database("trainguard_bundle") as url:
            yield url


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_aggregates_of_a_batch_share_one_scan(backend, tmp_path):
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from training.extensions import install as register_extensions
    from training.gx_speedups.registry import active

    register_extensions()
    rows = _values()
    with _warehouse(backend, tmp_path) as url:
        batch = _batch(url, backend)
        suite = gx.ExpectationSuite(
            name="s",
            expectations=[
                gxe.ExpectTableRowCountToBeBetween(min_value=1),
                gxe.ExpectColumnValuesToNotBeNull(column="x"),
                gxe.ExpectColumnValuesToBeBetween(column="x", min_value=5, max_value=35),
                gxe.ExpectColumnValuesToBeInSet(column="kind", value_set=["a", "b", "c"]),
                gxe.ExpectColumnMeanToBeBetween(column="y", min_value=0),
                gxe.ExpectColumnStdevToBeBetween(column="y", min_value=0),
                gxe.ExpectColumnMaxToBeBetween(column="x", min_value=0),
                gxe.ExpectColumnMeanToBeBetween(column="x", min_value=0),
                gxe.ExpectColumnStdevToBeBetween(column="x", min_value=0),
            ],
        )
        summary = {"result_format": "SUMMARY", "partial_unexpected_count": 0}
        with statements_sent() as sent, active():
            result = batch.validate(suite, result_format=summary)
        statements = [s for s in sent if "FROM t" in s]
        stock = batch.validate(suite, result_format=summary)  # outside active(): GX's own paths

    by_type = {r.expectation_config.type: r.result for r in result.results}
    by_column = {
        (r.expectation_config.type, r.expectation_config.kwargs.get("column")): r.result for r in result.results
    }
    xs = [r["x"] for r in rows if r["x"] is not None]
    assert by_type["expect_table_row_count_to_be_between"]["observed_value"] == ROWS
    assert by_type["expect_column_values_to_not_be_null"]["unexpected_count"] == ROWS - len(xs)
    assert by_type["expect_column_values_to_be_between"]["unexpected_count"] == sum(not 5 <= x <= 35 for x in xs)
    assert by_type["expect_column_values_to_be_in_set"]["unexpected_count"] == sum(r["kind"] == "zz" for r in rows)
    assert by_type["expect_column_mean_to_be_between"]["observed_value"] == pytest.approx(
        statistics.fmean(r["y"] for r in rows)
    )
    assert by_type["expect_column_stdev_to_be_between"]["observed_value"] == pytest.approx(
        statistics.stdev(r["y"] for r in rows)
    )
    mean_x = by_column[("expect_column_mean_to_be_between", "x")]["observed_value"]
    stdev_x = by_column[("expect_column_stdev_to_be_between", "x")]["observed_value"]
    assert mean_x == pytest.approx(statistics.fmean(xs)) and stdev_x == pytest.approx(statistics.stdev(xs))
    # Every value is GX's own, to the last bit.
    assert [(r.success, r.result) for r in result.results] == [(r.success, r.result) for r in stock.results]
    # GX counts the rows first, in a query of its own, because every column metric waits for the
    # count; here the count is one more column of the bundle.
    aggregates = [s for s in statements if s.startswith("SELECT") and "LIMIT" not in s]
    assert 'count(*) AS "table.row_count"' in aggregates[0]
    # SQLite has no stddev_samp: GX's two-pass formula needs the mean first.
    assert len(aggregates) == (2 if backend == "sqlite" else 1), aggregates
    assert "count(*) FILTER (WHERE" in aggregates[0]
    # No GX ``sum(CASE WHEN condition ...)``: the only CASE sums are bucket sums (``coalesce(sum(``,
    # PostgreSQL reads the range check from one).
    assert aggregates[0].count("sum(CASE WHEN") == aggregates[0].count("coalesce(sum(CASE WHEN")
    assert ("sum(CASE WHEN" in aggregates[0]) == (backend == "postgresql")


def test_a_failing_metric_does_not_stop_the_others(tmp_path):
    """A metric that fails on every try (a column that does not exist) errors its own
    expectation only; the aggregates held back for the bundle are still computed."""
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from training.extensions import install as register_extensions

    register_extensions()
    batch = _batch(f"sqlite:///{tmp_path / 'w.db'}", "sqlite")
    suite = gx.ExpectationSuite(
        name="s",
        expectations=[
            gxe.ExpectColumnValuesToBeInSet(column="no_such_column", value_set=["a"]),
            gxe.ExpectColumnMeanToBeBetween(column="y", min_value=0),
            gxe.ExpectColumnStdevToBeBetween(column="y", min_value=0),
            gxe.ExpectColumnValuesToNotBeNull(column="kind"),
        ],
    )
    result = batch.validate(suite)
    failing, *others = result.results
    assert failing.success is False and "no_such_column" in str(failing.exception_info)
    assert [(r.success, r.exception_info.get("raised_exception")) for r in others] == [(True, False)] * 3
