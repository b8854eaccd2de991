"""The CLI as users call it: exit codes 0/1/2, readable summaries, JSON, fast listing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import SKEWED_DAY, run_cli

pytestmark = pytest.mark.usefixtures("demo_warehouse")


def test_clean_day_passes_with_exit_0():
    proc = run_cli("checkpoint", "run", "trips_daily", "--date", "2026-09-05")
    assert proc.returncode == 0, proc.stderr
    assert "trips_daily ds=2026-09-05: PASSED" in proc.stdout
    assert "Data Docs: file://" in proc.stdout


def test_skewed_day_fails_with_exit_1_naming_feature_observed_and_expected():
    proc = run_cli("checkpoint", "run", "trips_daily", "--date", SKEWED_DAY.isoformat())
    assert proc.returncode == 1, proc.stderr
    failure = next(line for line in proc.stdout.splitlines() if line.strip().startswith("FAIL "))
    assert failure.startswith("  FAIL mean of distance_km: 2")  # the shifted mean is above 20 km
    assert failure.endswith(", expected 4.7 to 7.3")


def test_unknown_checkpoint_is_a_usage_error():
    proc = run_cli("checkpoint", "run", "no_such_checkpoint", "--date", "2026-09-05")
    assert proc.returncode == 2
    assert "unknown checkpoint 'no_such_checkpoint'" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("bad", ["2026-13-01", "2026-9-5", "yesterday", "2026-02-30"])
def test_malformed_dates_are_usage_errors(bad):
    proc = run_cli("checkpoint", "run", "trips_daily", "--date", bad)
    assert proc.returncode == 2
    assert "expected YYYY-MM-DD" in proc.stderr


def test_day_without_rows_is_a_failed_validation_not_a_crash():
    proc = run_cli("checkpoint", "run", "trips_daily", "--date", "2027-01-01")
    assert proc.returncode == 1
    assert "no rows in table 'trips' where ds = '2027-01-01'" in proc.stdout


def test_json_range_lists_one_result_per_day():
    proc = run_cli("checkpoint", "run", "trips_daily", "--from", "2026-09-11", "--to", "2026-09-13", "--json")
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert data["success"] is False
    assert [(r["date"], r["success"]) for r in data["results"]] == [
        ("2026-09-11", True),
        ("2026-09-12", False),
        ("2026-09-13", True),
    ]
    failed = data["results"][1]["failures"][0]
    assert failed["column"] == "distance_km"
    assert failed["observed"] > failed["expected"]["max_value"]


def test_listing_and_help_do_not_import_gx_or_airflow():
    code = (
        "import sys; from training.cli.main import main; "
        "assert main(['checkpoint', 'list']) == 0; "
        "heavy = [m for m in ('great_expectations', 'airflow', 'sklearn', 'pandas') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "trips_daily" in proc.stdout and "batch=ds" in proc.stdout


@pytest.mark.parametrize(
    "args",
    [[], ["checkpoint"], ["checkpoint", "run"], ["docs"], ["docs", "serve"], ["demo", "seed"], ["model", "train"]],
)
def test_every_command_has_help(args):
    proc = run_cli(*args, "--help")
    assert proc.returncode == 0
    assert "usage: trainguard" in proc.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-09-13", "--to", "2026-09-11"], "is before start date"),
        (["--from", "2026-09-13"], "give --date D, or --from D1 --to D2"),
        (["--date", "2026-09-13", "--model", "m"], "cannot be combined"),
    ],
)
def test_inconsistent_batch_options_are_usage_errors(args, message):
    proc = run_cli("checkpoint", "run", "trips_daily", *args)
    assert proc.returncode == 2
    assert message in proc.stderr
