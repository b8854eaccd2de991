"""Failure lines are human sentences (what was measured, the value rounded, the limit, the
reason), never cut-off JSON; ``--json`` keeps the whole result; a backfill's progress tells a
day's own failures from the run's running total; the demo's summary names the blocking gate
and its top failed expectations.

One project for all: a clean week of demo trips, a suite scaffolded from them (trainguard's
own drift, quantile and rolling-band expectations next to stock GX ones), and the next day
with a shifted distance_km, a null burst in tip_rate and a new payment_type."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import sqlalchemy as sa

from tests.conftest import make_project
from training.cli.main import main

FIRST = dt.date(2026, 9, 1)
REFERENCE_END = dt.date(2026, 9, 7)
SKEWED = "2026-09-08"
EMPTY = "2026-09-09"  # no rows: a failed day without expectation results
SUITE = "trips_scaffolded"

# A decimal number in a line, and what a JSON fragment or a cut-off value looks like there.
_NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d+(?:e-?\d+)?")
_JSON_SIGNS = ('{"', '":', "[{", "[[", "...", "observed {")


def _significant_digits(text: str) -> int:
    mantissa = text.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
    return len(mantissa.rstrip("0")) or 1


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """The project above, made the settings of in-process ``main()`` calls: (settings, engine)."""
    from training.core.settings import get_settings
    from training.demo.generate import Skew
    from training.demo.seed import seed_demo
    from training.warehouse.tables import ensure_tables

    settings, env = make_project(tmp_path_factory.mktemp("sentences"))
    engine = sa.create_engine(settings.warehouse_url)
    day = dt.date.fromisoformat(SKEWED)
    skews = [Skew(day, "mean_shift", "distance_km"), Skew(day, "null_burst", "tip_rate")]
    seed_demo(engine, FIRST, day, [*skews, Skew(day, "new_category", "payment_type")])
    ensure_tables(engine)
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        get_settings.cache_clear()
        reference = f"{FIRST}:{REFERENCE_END}"
        argv = ["suite", "scaffold", "--table", "trips", "--date-column", "ds", "--reference", reference]
        assert main([*argv, "--name", SUITE, "--target", "duration_min"]) == 0
        yield settings, engine
    engine.dispose()
    get_settings.cache_clear()


def _failure_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(("  FAIL ", "  WARN "))]


def test_failure_lines_are_sentences_and_json_keeps_the_whole_result(project, capsys):
    capsys.readouterr()
    assert main(["checkpoint", "run", SUITE, "--date", SKEWED]) == 1
    lines = _failure_lines(capsys.readouterr().out)
    assert len(lines) >= 8, lines
    for line in lines:
        assert not any(sign in line for sign in _JSON_SIGNS), line
        assert all(_significant_digits(n) <= 4 for n in _NUMBER.findall(line)), line
        assert "expect_" not in line and not re.search(r"\w=", line), line  # no type names, no kwargs dumps
    text = "\n".join(lines)
    # trainguard's expectations, worded as Data Docs words them: value, limit, reason.
    psi = re.search(r"  WARN distance_km: PSI (\d+\.?\d*) \(threshold (0\.\d+)\); largest shift in >= \S+: ", text)
    assert psi and float(psi.group(1)) > float(psi.group(2)), text
    assert re.search(r"  WARN distance_km: 0 of 5 quantiles in range: q0\.05 above \d", text), text
    assert re.search(r"  FAIL mean of distance_km: \d+\.\d+, outside the band [\d.]+ to [\d.]+ around ", text), text
    # Stock GX expectations: the measure, the value, the limit.
    mean = re.search(r"  WARN mean of distance_km: (\d+\.\d+), expected ([\d.]+) to ([\d.]+)$", text, re.M)
    assert mean and float(mean.group(1)) > float(mean.group(3)), text
    share = re.search(r"share of non-null values of tip_rate: ([\d.]+)%, expected ([\d.]+)% to 100%", text)
    assert share and float(share.group(1)) < float(share.group(2)), text
    new = re.search(r"values of payment_type in \{app, card, cash\}: (\d+) of ([\d,]+) values \(([\d.]+)%\) ", text)
    assert new, text
    count, rows, shown = int(new.group(1)), int(new.group(2).replace(",", "")), float(new.group(3))
    assert shown == pytest.approx(100 * count / rows, rel=1e-2)

    assert main(["checkpoint", "run", SUITE, "--date", SKEWED, "--json"]) == 1
    result = json.loads(capsys.readouterr().out)["results"][0]
    found = {(f["expectation"], f["column"]): f for f in [*result["failures"], *result["warnings"]]}
    drift = found[("expect_column_psi_to_be_less_than", "distance_km")]
    assert set(drift["observed"]) >= {"value", "threshold", "largest_shift", "values_compared"}
    assert len(drift["expected"]["reference_counts"]) == len(drift["expected"]["bin_edges"]) + 1
    assert _significant_digits(repr(drift["observed"]["value"])) > 4  # unrounded
    quantiles = found[("expect_column_quantiles_to_be_between", "distance_km")]["observed"]
    assert len(quantiles["quantiles"]) == 5 and all("share_at_or_below_max" in q for q in quantiles["quantiles"])


def test_backfill_progress_shows_each_days_failures_and_the_total_apart(project, capsys):
    capsys.readouterr()
    assert main(["checkpoint", "run", "trips_daily", "--from", REFERENCE_END.isoformat(), "--to", EMPTY]) == 1
    out, err = capsys.readouterr()
    progress = err.splitlines()
    assert len(progress) == 3, err
    assert progress[0].endswith(f"] 1/3 {REFERENCE_END} passed  [0 of 1 days failed so far]")
    line = rf"] 2/3 {SKEWED} FAILED: (\d+) of (\d+) expectations \((.+)\)  \[1 of 2 days failed so far\]$"
    own = re.search(line, progress[1])
    assert own, err
    assert own.group(3).startswith("mean of distance_km, nulls in tip_rate, values of payment_type in {")
    assert progress[2].endswith(
        f"] 3/3 {EMPTY} FAILED: no rows in table 'trips' where ds = '{EMPTY}'  [2 of 3 days failed so far]"
    )
    # The failed days' details, then one row per day with its failed checks by name.
    assert "  FAIL nulls in tip_rate: " in out and "; at most 10% allowed" in out
    row = next(line for line in out.splitlines() if line.startswith(SKEWED))
    assert row.split()[1:3] == ["FAIL", own.group(1)] and row.endswith(own.group(3))
    assert out.rstrip().endswith("1 of 3 passed")


def test_demo_summary_names_the_blocking_gate_and_its_failed_expectations(project, capsys):
    from training.demo.run import DemoRun, blocked_by, format_run, last_validation_id

    settings, engine = project
    before = last_validation_id(engine)
    assert main(["checkpoint", "run", "trips_daily", "--date", SKEWED]) == 1  # what validate_data runs
    cli_lines = [line.strip() for line in _failure_lines(capsys.readouterr().out)]
    blocked = blocked_by(settings, engine, before)
    day = dt.date.fromisoformat(SKEWED)
    text = format_run(DemoRun(day + dt.timedelta(days=1), day, False, "m-1", blocked))
    head, *details = text.splitlines()
    assert head == (
        f"    logical date {day + dt.timedelta(days=1)}: day {SKEWED} BLOCKED by validate_data "
        f"(checkpoint trips_daily, {SKEWED}: {len(cli_lines)} of {blocked.evaluated} expectations failed); "
        "production model: m-1"
    )
    # The top failed expectations, worded as the CLI words them, and the validation's page.
    assert [d.strip() for d in details[:-1]] == cli_lines[:3] and len(cli_lines) == 3
    assert details[0].strip().startswith("FAIL mean of distance_km: ")
    assert details[-1].startswith("      Data Docs: file://") and blocked.docs_page in details[-1]
    # A run that passed, or one stopped before any gate recorded a failure, says so.
    assert blocked_by(settings, engine, last_validation_id(engine)) is None
    passed = format_run(DemoRun(day, day - dt.timedelta(days=1), True, "m-1"))
    assert passed.endswith("trained, validated and promoted; production model: m-1")
