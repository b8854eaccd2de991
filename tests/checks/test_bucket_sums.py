"""Drift bins, quantile brackets, category counts and the unexpected counts of GX's range and
value-set checks on PostgreSQL are one numeric bucket sum per column
(training/checks/data/bucket_sums.py, one_bundle.py), with the same verdicts and figures as
one ``count(*) FILTER`` per bound or value: values on the bounds, NULL, NaN, infinities, integer
columns, unknown categories, a column name that needs quoting."""

from __future__ import annotations

import contextlib
import json
import random
import re

import sqlalchemy as sa

from tests.conftest import postgres_database

ROWS = 600


def _rows() -> list[dict]:
    rng = random.Random(23)
    special = {7: "NaN", 8: "Infinity", 9: "-Infinity"}
    rows = []
    for i in range(ROWS):
        f = None if i % 13 == 0 else special.get(i % 97, round(rng.gauss(5, 2), 1))
        k = None if i % 19 == 0 else rng.choice(["a", "b", "b", "c", "c", "c", "new"])
        rows.append({"f": f, "n": None if i % 17 == 0 else rng.randint(0, 12), "e": None, "k": k})
    return rows


def _suite():
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from training.checks.data.drift import ExpectColumnJsDistanceToBeLessThan, ExpectColumnPsiToBeLessThan
    from training.checks.data.quantiles import ExpectColumnQuantilesToBeBetween

    return gx.ExpectationSuite(
        name="buckets",
        expectations=[
            ExpectColumnPsiToBeLessThan(
                column="F value", bin_edges=[2.0, 3.5, 4.0, 5.0, 6.5, 8.0], reference_counts=[1] * 7, threshold=0.3
            ),
            ExpectColumnQuantilesToBeBetween(
                column="F value",
                quantile_ranges={
                    "quantiles": [0.1, 0.25, 0.5, 0.75, 0.9],
                    "value_ranges": [[2.0, 3.5], [3.5, 4.0], [4.0, 5.0], [5.0, 5.4], [None, 8.0]],
                },
            ),
            ExpectColumnJsDistanceToBeLessThan(
                column="n", bin_edges=[2, 4, 7, 9], reference_counts=[2, 2, 3, 2, 4], threshold=0.1
            ),
            ExpectColumnQuantilesToBeBetween(
                column="n", quantile_ranges={"quantiles": [0.2, 0.5, 0.8], "value_ranges": [[2, 4], [6, 6], [9, None]]}
            ),
            ExpectColumnQuantilesToBeBetween(
                column="n", quantile_ranges={"quantiles": [0.5], "value_ranges": [[None, None]]}
            ),
            ExpectColumnPsiToBeLessThan(
                column="k", categories=["c", "b", "a"], reference_counts=[3, 2, 1, 0], threshold=1
            ),
            ExpectColumnQuantilesToBeBetween(
                column="e", quantile_ranges={"quantiles": [0.5], "value_ranges": [[0, 1]]}
            ),
            # Range checks on bounds that are data values, strict or not, one-sided, mostly.
            gxe.ExpectColumnValuesToBeBetween(column="F value", min_value=2.0, max_value=8.0),
            gxe.ExpectColumnValuesToBeBetween(
                column="F value", min_value=3.5, max_value=6.5, strict_min=True, strict_max=True, mostly=0.5
            ),
            gxe.ExpectColumnValuesToBeBetween(column="F value", min_value=1.0),
            gxe.ExpectColumnValuesToBeBetween(column="n", max_value=11, strict_max=True),
            gxe.ExpectColumnValuesToBeBetween(column="n", min_value=0, max_value=12),
            # The drift check's categories in another order; a set no drift check counts.
            gxe.ExpectColumnValuesToBeInSet(column="k", value_set=["a", "b", "c"]),
            gxe.ExpectColumnValuesToBeInSet(column="k", value_set=["a", "b", "c", "new"]),
        ],
    )


@contextlib.contextmanager
def _queries_sent():
    """The statements as PostgreSQL received them (bound values in place)."""
    sent: list[str] = []

    def seen(conn, cursor, *args):
        sent.append(cursor.query.decode())

    sa.event.listen(sa.engine.Engine, "after_cursor_execute", seen)
    try:
        yield sent
    finally:
        sa.event.remove(sa.engine.Engine, "after_cursor_execute", seen)


def _validate(url: str):
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    asset = context.data_sources.add_postgres("w", connection_string=url).add_table_asset("t", "t")
    batch = asset.add_batch_definition_whole_table("all").get_batch()
    from training.gx_speedups.registry import active

    with _queries_sent() as sent, active():
        result = batch.validate(_suite(), result_format={"result_format": "SUMMARY", "partial_unexpected_count": 0})
    outcomes = {
        (r.expectation_config.type, json.dumps(r.expectation_config.kwargs, sort_keys=True)): (
            r.success,
            r.result,
            r.exception_info.get("raised_exception"),
        )
        for r in result.results
    }
    return outcomes, sent


def test_bucket_sums_match_one_count_per_bound(monkeypatch):
    from training.checks.data import bucket_sums as packed
    from training.extensions import install as register_extensions

    register_extensions()
    with postgres_database("trainguard_buckets") as url:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text('CREATE TABLE t ("F value" DOUBLE PRECISION, n BIGINT, e DOUBLE PRECISION, k TEXT)'))
            conn.execute(sa.text("INSERT INTO t VALUES (CAST(:f AS DOUBLE PRECISION), :n, :e, :k)"), _rows())
        engine.dispose()
        summed, sent = _validate(url)
        monkeypatch.setattr(packed, "BUCKET_SUM_DIALECTS", ())
        counted, sent_counted = _validate(url)

    assert len(summed) == len(_suite().expectations) and summed == counted
    assert all(raised is False for _, _, raised in summed.values())
    # The seeded day passes some checks and fails others, so both verdicts are compared.
    assert {success for success, _, _ in summed.values()} == {True, False}

    def result(kind: str, **kwargs) -> dict:
        return next(r for (t, k), (_, r, _) in summed.items() if t == kind and kwargs.items() <= json.loads(k).items())

    # A column of NULLs only has no quantiles to check (the sum of no rows reads as zero counts).
    quantiles_e = result("expect_column_quantiles_to_be_between", column="e")
    assert quantiles_e["details"]["reason"] == "no non-null values of 'e'"
    rows = _rows()
    in_set = "expect_column_values_to_be_in_set"
    assert result(in_set, value_set=["a", "b", "c"])["unexpected_count"] == sum(r["k"] == "new" for r in rows) > 0
    assert result(in_set, value_set=["a", "b", "c", "new"])["unexpected_count"] == 0
    below_11 = result("expect_column_values_to_be_between", column="n", max_value=11)
    assert below_11["unexpected_count"] == sum(r["n"] is not None and r["n"] >= 11 for r in rows) > 0
    bundle = next(s for s in sent if "'S' ||" in s)
    # Only the value set that no drift check counts stays a filtered count (beside null counts):
    # the ranges on the BIGINT column read integer buckets (cuts below 2**52 compare exactly).
    filtered = re.findall(r"FILTER \(WHERE (.*?)\)(?: ELSE NULL END)? AS", bundle)
    assert sorted(filtered) == [
        '"F value" IS NULL',
        "k IS NOT NULL AND (k NOT IN ('a', 'b', 'c', 'new'))",
        "k IS NULL",
        "n IS NULL",
    ], filtered
    assert any("FILTER" in s for s in sent_counted)
    # Drift bins and quantile brackets of a column are written over the same bounds, so
    # PostgreSQL computes one sum per column.
    sums = re.findall(r"coalesce\(sum\((.*?)\), 0\)", bundle)
    assert len(sums) == 6 + 5 + 1
    # The integer column's rows compare as integers, without a cast to double precision.
    assert "CAST(n AS FLOAT)" not in bundle and "WHEN (n < " in bundle
    columns = sorted(
        re.search(r"CAST\(([\w\" ]+) AS (?:FLOAT|VARCHAR)\)|\((n) < ", s).group(1) or "n" for s in set(sums)
    )
    assert columns == ['"F value"', "e", "k", "n"], sums
