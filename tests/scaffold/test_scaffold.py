"""Suite scaffolding on any table: wide, high-cardinality text, sparse nulls; what it writes,
what it refuses, and how the CLI reports problems."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from tests.conftest import make_project, run_cli
from tests.shapes import NUMERIC, wide_day

START = dt.date(2026, 3, 2)
DAYS = [START + dt.timedelta(days=i) for i in range(29)]
REFERENCE = f"{DAYS[0]}:{DAYS[20]}"


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    from training.warehouse.engine import get_engine
    from training.warehouse.writer import write_days

    settings, env = make_project(tmp_path_factory.mktemp("wide"))
    write_days(get_engine(settings.warehouse_url), "events", "event_day", {d: wide_day(d) for d in DAYS})
    proc = run_cli(
        "suite", "scaffold", "--table", "events", "--date-column", "event_day",
        "--reference", REFERENCE, "--name", "events_daily", env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return settings, env, proc.stdout


def _suite(settings, name="events_daily") -> dict:
    return json.loads((settings.gx_root / "expectations" / f"{name}.json").read_text())


def test_scaffold_covers_every_column_of_an_unfamiliar_table(wide):
    settings, _, stdout = wide
    suite = _suite(settings)
    by_type: dict[str, set] = {}
    for e in suite["expectations"]:
        by_type.setdefault(e["type"], set()).add(e["kwargs"].get("column"))
    assert set(NUMERIC) <= by_type["expect_column_mean_to_be_between"]
    assert set(NUMERIC) <= by_type["expect_column_psi_to_be_less_than"]
    assert {"country", "device"} <= by_type["expect_column_values_to_be_in_set"]
    # user_id has thousands of distinct values: no value set or drift, a uniqueness band instead.
    assert "user_id" not in by_type["expect_column_values_to_be_in_set"]
    assert "user_id" not in by_type["expect_column_js_distance_to_be_less_than"]
    assert "user_id" in by_type["expect_column_distinct_proportion_to_be_between"]
    returning = [e for e in suite["expectations"] if e["kwargs"].get("column") == "is_returning"]
    assert {e["type"] for e in returning} == {
        "expect_column_values_to_be_in_type_list",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_in_set",
    }
    # Sparse nulls get a null-rate band, never-null columns a strict check.
    assert "f00" in by_type["expect_column_proportion_of_non_null_values_to_be_between"]
    assert "f01" in by_type["expect_column_values_to_not_be_null"]
    columns = next(e for e in suite["expectations"] if e["type"] == "expect_table_columns_to_match_set")
    assert columns["kwargs"]["column_set"][0] == "event_day" and len(columns["kwargs"]["column_set"]) == 45
    interval = next(
        e for e in suite["expectations"] if e["type"] == "expect_day_metric_to_be_within_ratio_of_days_back"
    )
    # days_back=7 is the field default, which GX leaves out of the JSON.
    assert interval["kwargs"].get("days_back", 7) == 7 and "weekly seasonality found" in interval["notes"]
    assert all(e.get("notes") for e in suite["expectations"]), "every threshold says where it came from"
    assert "trainguard checkpoint run events_daily" in stdout


def test_scaffolded_checkpoint_passes_clean_days_and_fails_a_skewed_one(wide):
    from training.warehouse.engine import get_engine
    from training.warehouse.writer import write_day

    settings, env, _ = wide
    proc = run_cli("checkpoint", "run", "events_daily", "--from", str(DAYS[21]), "--to", str(DAYS[27]), env=env)
    assert proc.returncode == 0, proc.stdout
    assert "7 of 7 passed" in proc.stdout
    day = DAYS[-1]
    skewed = wide_day(day)
    skewed["f10"] = skewed["f10"] * 1000  # a unit change
    write_day(get_engine(settings.warehouse_url), "events", "event_day", day, skewed)
    proc = run_cli("checkpoint", "run", "events_daily", "--date", str(day), env=env)
    assert proc.returncode == 1
    failure = next(line for line in proc.stdout.splitlines() if "mean of f10:" in line)
    # The observed mean (rounded, thousands separated) and the band it left, as a sentence.
    assert re.search(r"FAIL mean of f10: 1\d,\d{3}, outside the band \d+\.\d+ to 1\d\.\d+", failure), failure


def test_rescaffolding_refuses_to_overwrite_a_hand_edited_suite(wide):
    settings, env, _ = wide
    path = settings.gx_root / "expectations" / "events_daily.json"
    edited = path.read_text().replace('"notes": "', '"notes": "Reviewed by Ana. ', 1)
    path.write_text(edited)
    args = ["suite", "scaffold", "--table", "events", "--date-column", "event_day", "--reference", REFERENCE]
    proc = run_cli(*args, "--name", "events_daily", env=env)
    assert proc.returncode == 2
    assert "already exist" in proc.stderr and "--force" in proc.stderr
    assert path.read_text() == edited
    proc = run_cli(*args, "--name", "events_daily", "--force", "--strictness", "strict", env=env)
    assert proc.returncode == 0, proc.stderr
    backups = list((settings.gx_root / "uncommitted" / "backups").glob("events_daily.*.json"))
    assert [b.read_text() for b in backups] == [edited]
    assert "Reviewed by Ana" not in path.read_text()


def test_columns_exclude_and_target_options(wide):
    settings, env, _ = wide
    proc = run_cli(
        "suite", "scaffold", "--table", "events", "--date-column", "event_day", "--reference", REFERENCE,
        "--name", "events_small", "--columns", "f00,f01,country", "--exclude", "f01", "--target", "f07",
        "--drift", "js_distance", env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    columns = {e["kwargs"].get("column") for e in _suite(settings, "events_small")["expectations"]}
    assert columns == {None, "f00", "country", "f07"}
    types = {e["type"] for e in _suite(settings, "events_small")["expectations"]}
    assert "expect_column_psi_to_be_less_than" not in types
    target_null = [
        e for e in _suite(settings, "events_small")["expectations"]
        if e["kwargs"].get("column") == "f07" and e["type"] == "expect_column_values_to_not_be_null"
    ]  # fmt: skip
    assert target_null, "the target has sparse nulls in the window but must never be null"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--table", "nope", "--reference", REFERENCE], "table 'nope' does not exist"),
        (["--table", "events", "--reference", "2026-03-02"], "invalid --reference"),
        (["--table", "events", "--reference", "2026-02-01:2026-03-05"], "reference day 2026-02-01 has no rows"),
        (["--table", "events", "--reference", REFERENCE, "--columns", "f00,ghost"], "no column(s) ghost"),
        (["--table", "events", "--reference", REFERENCE, "--target", "ghost"], "no column(s) ghost"),
        (["--table", "events", "--reference", REFERENCE, "--drift", "kl"], "unknown drift method(s) kl"),
        (["--table", "events", "--reference", REFERENCE, "--bins", "1"], "--bins must be at least 2"),
    ],
)
def test_bad_scaffold_requests_are_usage_errors(wide, extra, message):
    settings, env, _ = wide
    proc = run_cli("suite", "scaffold", "--date-column", "event_day", "--name", "events_bad", *extra, env=env)
    assert proc.returncode == 2, proc.stdout
    assert message in proc.stderr
    assert not (settings.gx_root / "expectations" / "events_bad.json").exists()
