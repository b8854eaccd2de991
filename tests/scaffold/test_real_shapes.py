"""Scaffolded suites on the shapes real tables have (issue: suites that hold on real data).

An hourly table: 24 rows every reference day, a constant daily minimum, a count column, a
slowly trending feature. What must hold: a band is never narrower than its floor on a constant
statistic, natural bounds hold, extremes are checked on their trouble side only, only critical
failures block a day (CLI exit code, ``--json``, the recorded outcome), warnings are reported,
and the rolling baseline follows slow change but never learns from a failed day.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import pytest

from tests.conftest import make_project, run_cli

START = dt.date(2026, 1, 5)  # a Monday
REFERENCE = f"{START}:{START + dt.timedelta(days=27)}"


def hourly_day(day: dt.date, *, drop_hours: tuple[int, ...] = (), trend: float = 0.02) -> pd.DataFrame:
    """24 hourly rows: ``hour`` 0..23 (a constant minimum), ``rentals`` (a count, never
    negative), ``temp`` (a slow seasonal trend), ``weather`` (three categories)."""
    offset = (day - START).days
    rng = np.random.default_rng(offset)
    hours = [h for h in range(24) if h not in drop_hours]
    n = len(hours)
    return pd.DataFrame(
        {
            "ds": [day.isoformat()] * n,
            "hour": hours,
            "rentals": rng.poisson(40 + 30 * np.sin(np.array(hours) / 24 * np.pi), size=n),
            "temp": (5 + trend * offset + rng.normal(0, 2, size=n)).round(2),
            "weather": rng.choice(["clear", "cloudy", "rain"], size=n, p=[0.5, 0.35, 0.15]),
        }
    )


@pytest.fixture(scope="module")
def hourly(tmp_path_factory):
    base = tmp_path_factory.mktemp("hourly")
    settings, env = make_project(base)
    days = [START + dt.timedelta(days=i) for i in range(56)]
    frame = pd.concat([hourly_day(d) for d in days], ignore_index=True)
    path = base / "hourly.csv"
    _load(env, path, frame)
    proc = run_cli(
        "suite", "scaffold", "--table", "hourly", "--date-column", "ds", "--reference", REFERENCE,
        "--name", "hourly_daily", env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    suite = json.loads((settings.gx_root / "expectations" / "hourly_daily.json").read_text())
    return settings, env, base, suite


def _load(env: dict, path, frame: pd.DataFrame) -> None:
    """Write ``frame`` to ``path`` and replace its days in the table (as a user would)."""
    frame.to_csv(path, index=False)
    proc = run_cli("data", "load", "--table", "hourly", "--file", str(path), "--date-column", "ds", env=env)
    assert proc.returncode == 0, proc.stderr


def _run(env: dict, *args: str) -> tuple[int, dict]:
    proc = run_cli("checkpoint", "run", "hourly_daily", *args, "--json", env=env)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def _find(suite: dict, type_: str, column: str | None = None, severity: str | None = None) -> list[dict]:
    return [
        e
        for e in suite["expectations"]
        if e["type"] == type_
        and e["kwargs"].get("column") == column
        and (severity is None or e.get("severity", "critical") == severity)
    ]


def test_every_expectation_has_a_severity_and_says_why(hourly):
    _, _, _, suite = hourly
    levels = {e.get("severity") for e in suite["expectations"]}
    assert levels <= {"critical", "warning"} and levels == {"critical", "warning"}
    assert all("Severity " in e["notes"] for e in suite["expectations"])
    # Schema and volume are critical, moderate drift is a warning.
    assert _find(suite, "expect_table_columns_to_match_set")[0]["severity"] == "critical"
    assert {e["severity"] for e in _find(suite, "expect_column_psi_to_be_less_than", "temp")} == {"warning"}
    assert _find(suite, "expect_column_values_to_be_in_set", "weather", "critical")[0]["kwargs"]["mostly"] < 1


def test_bands_on_constant_statistics_are_never_narrower_than_their_floor(hourly):
    _, _, _, suite = hourly
    # The row count was 24 on every reference day: the band still has room for a missing hour.
    rows = _find(suite, "expect_table_row_count_to_be_between")[0]["kwargs"]
    assert rows["min_value"] <= 23 and rows["max_value"] >= 25
    rolling_rows = _find(suite, "expect_day_statistic_to_be_within_history_band")[0]["kwargs"]
    assert rolling_rows["metric"] == "row_count" and rolling_rows["floor"] >= 1
    # The mean of `hour` was 11.5 every day; its band allows a day without one hour (11.87).
    mean_hour = _find(suite, "expect_column_mean_to_be_between", "hour")[0]["kwargs"]
    assert mean_hour["min_value"] < 11.0 and mean_hour["max_value"] > 12.0
    history_hour = next(e["kwargs"] for e in _find(suite, "expect_day_statistic_to_be_within_history_band", "hour"))
    assert history_hour["floor"] > 0.4
    # The daily minimum of `hour` was always 0: checked on its low side only, never below 0.
    low = _find(suite, "expect_column_min_to_be_between", "hour")[0]["kwargs"]
    assert low == {"column": "hour", "min_value": 0.0}
    high = _find(suite, "expect_column_max_to_be_between", "rentals")[0]["kwargs"]
    assert set(high) == {"column", "max_value"}


def test_natural_bounds_hold(hourly):
    _, _, _, suite = hourly
    for column in ("rentals", "hour"):
        quantiles = _find(suite, "expect_column_quantiles_to_be_between", column)[0]["kwargs"]["quantile_ranges"]
        assert all(low >= 0 for low, _ in quantiles["value_ranges"]), column
        values = _find(suite, "expect_column_values_to_be_between", column)[0]["kwargs"]
        assert values["min_value"] >= 0
    non_null = [e["kwargs"] for e in suite["expectations"] if "proportion" in e["type"]]
    assert all(0 <= k["min_value"] <= k["max_value"] <= 1 for k in non_null)


def test_a_normal_day_missing_one_hour_trains_and_a_half_day_is_blocked(hourly):
    _, env, base, _ = hourly
    day = START + dt.timedelta(days=30)
    code, out = _run(env, "--date", day.isoformat())
    assert code == 0 and out["success"], out
    short = hourly_day(day, drop_hours=(3,))
    path = base / "short.csv"
    _load(env, path, short)
    code, out = _run(env, "--date", day.isoformat())
    assert code == 0 and out["success"], out["results"][0]["failures"]
    half = hourly_day(day, drop_hours=tuple(range(12)))
    _load(env, path, half)
    code, out = _run(env, "--date", day.isoformat())
    assert code == 1 and not out["success"]
    failed = {f["expectation"] for f in out["results"][0]["failures"]}
    assert {"expect_day_metric_to_be_within_ratio_of_days_back", "expect_table_row_count_to_be_between"} <= failed
    assert all(f["severity"] == "critical" for f in out["results"][0]["failures"])
    _load(env, path, hourly_day(day))


def test_only_critical_failures_block_warnings_are_reported_and_recorded(hourly):
    """A moderate drift of `temp` (a wider spread: warnings only) passes the gate: exit 0, success in --json, a
    passed outcome in the warehouse (so training uses the day), the warnings listed; the same
    failures made critical with --severity block the day (exit 1)."""
    import sqlalchemy as sa

    from training.warehouse.tables import validations

    settings, env, base, _ = hourly
    day = START + dt.timedelta(days=33)
    drifted = hourly_day(day)
    center = drifted["temp"].mean()
    drifted["temp"] = (center + (drifted["temp"] - center) * 4).round(2)  # a wider spread, the same mean: drift
    path = base / "drifted.csv"
    _load(env, path, drifted)
    code, out = _run(env, "--date", day.isoformat())
    result = out["results"][0]
    assert code == 0 and out["success"] and result["success"], result["failures"]
    assert result["warnings"] and {w["severity"] for w in result["warnings"]} == {"warning"}
    assert any(w["column"] == "temp" for w in result["warnings"])
    text = run_cli("checkpoint", "run", "hourly_daily", "--date", day.isoformat(), env=env).stdout
    assert "PASSED" in text and re.search(r"^  WARN .*\btemp\b", text, re.M), text
    engine = sa.create_engine(settings.warehouse_url)
    with engine.connect() as conn:
        latest = conn.execute(
            sa.select(validations.c.success, validations.c.failed)
            .where(validations.c.batch_value == day.isoformat())
            .order_by(validations.c.id.desc())
        ).first()
    assert latest.success is True and latest.failed >= 1
    runs = (settings.data_docs_dir / "trainguard" / "runs.html").read_text()
    assert "class='warn'" in runs

    strict = run_cli(
        "suite", "scaffold", "--table", "hourly", "--date-column", "ds", "--reference", REFERENCE,
        "--name", "hourly_strict", "--severity", "temp=critical", env=env,
    )  # fmt: skip
    assert strict.returncode == 0, strict.stderr
    proc = run_cli("checkpoint", "run", "hourly_strict", "--date", day.isoformat(), "--json", env=env)
    assert proc.returncode == 1
    assert any(f["column"] == "temp" for f in json.loads(proc.stdout)["results"][0]["failures"])
    _load(env, path, hourly_day(day))


def test_the_rolling_baseline_follows_slow_change_and_never_uses_a_failed_day(tmp_path):
    """A feature trending up passes every day on the rolling band, whose center follows it; a
    failed day's value never enters the band."""
    settings, env = make_project(tmp_path)
    days = [START + dt.timedelta(days=i) for i in range(44)]
    frame = pd.concat([hourly_day(d, trend=0.12) for d in days], ignore_index=True)
    path = tmp_path / "t.csv"
    _load(env, path, frame)
    proc = run_cli(
        "suite", "scaffold", "--table", "hourly", "--date-column", "ds", "--reference", REFERENCE,
        "--name", "hourly_daily", "--columns", "temp,hour", env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    first, last = days[28], days[40]
    proc = run_cli("checkpoint", "run", "hourly_daily", "--from", str(first), "--to", str(last), "--json", env=env)
    out = json.loads(proc.stdout)
    rolling = [
        [f for f in r["failures"] if f["expectation"] == "expect_day_statistic_to_be_within_history_band"]
        for r in out["results"]
    ]
    assert rolling == [[] for _ in rolling], rolling

    # An incident: temp x 10 on one day fails; its value must not feed the next day's band.
    bad_day, next_day = days[41], days[42]
    incident = hourly_day(bad_day, trend=0.12)
    incident["temp"] = incident["temp"] * 10
    _load(env, path, incident)
    code = run_cli("checkpoint", "run", "hourly_daily", "--date", str(bad_day), env=env).returncode
    assert code == 1
    proc = run_cli("checkpoint", "run", "hourly_daily", "--date", str(next_day), "--json", env=env)
    assert proc.returncode == 0, proc.stdout
    bands = []
    for stored in (settings.gx_root / "uncommitted" / "validations").rglob("*.json"):
        validation = json.loads(stored.read_text())
        if validation.get("meta", {}).get("batch_parameters", {}).get("ds") != str(next_day):
            continue
        bands += [
            r["result"]["details"]
            for r in validation["results"]
            if r["expectation_config"]["type"] == "expect_day_statistic_to_be_within_history_band"
            and r["expectation_config"]["kwargs"].get("column") == "temp"
        ]
    assert bands and bands[0]["last_day"] == str(days[40])  # the failed day is not in the history
    # 13 recorded days follow the reference's; the center moved with the trend (6.6 in the window).
    assert bands[0]["recorded_days"] == 13 and 7.5 < bands[0]["center"] < 10
