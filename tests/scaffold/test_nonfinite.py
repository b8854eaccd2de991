"""Scaffolding on awkward numbers: infinities in the reference window, constant and all-null
columns, one value in the whole window, one-row days, values too large to square. The suite is
strict JSON with finite bounds, a successful scaffold prints nothing on stderr (no numpy
RuntimeWarning), and a column that cannot be profiled is one line, exit 2."""

from __future__ import annotations

import datetime as dt
import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from tests.conftest import make_project
from training.cli.main import main

DAYS = [(dt.date(2026, 3, 1) + dt.timedelta(days=i)).isoformat() for i in range(4)]


@pytest.fixture
def project(tmp_path, monkeypatch):
    from training.core.settings import get_settings

    settings, env = make_project(tmp_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    engine = sa.create_engine(settings.warehouse_url)
    yield settings, engine
    engine.dispose()
    get_settings.cache_clear()


def _write(engine: sa.Engine, columns, rows: int = 40, days=DAYS) -> None:
    rng = np.random.default_rng(3)
    frames = [
        pd.DataFrame({"ds": day, **{n: f(rows, i, rng) for n, f in columns.items()}}) for i, day in enumerate(days)
    ]
    pd.concat(frames).to_sql("t", engine, index=False)


def _strict(text: str) -> dict:
    def refuse(constant: str):
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def _scaffold(capsys, *more: str, last: str = DAYS[2]) -> tuple[int, str]:
    capsys.readouterr()
    argv = ["suite", "scaffold", "--table", "t", "--date-column", "ds", "--reference", f"{DAYS[0]}:{last}"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        code = main([*argv, "--name", "t_daily", *more])
    runtime = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert runtime == []
    return code, capsys.readouterr().err


def _numbers(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _numbers(v)
    elif isinstance(value, list):
        for v in value:
            yield from _numbers(v)
    elif isinstance(value, float):
        yield value


def test_infinities_are_a_share_not_bounds_and_the_suite_still_passes_its_days(project, capsys):
    settings, engine = project

    def with_infinities(n, i, rng):
        values = rng.normal(10, 2, n)
        values[0] = math.inf if i % 2 == 0 else -math.inf  # every day, either sign
        return values

    _write(engine, {"x": with_infinities, "y": lambda n, i, rng: rng.normal(5, 1, n)})
    code, err = _scaffold(capsys)
    assert (code, err) == (0, "")
    suite = _strict((settings.gx_root / "expectations" / "t_daily.json").read_text())
    assert all(math.isfinite(v) for e in suite["expectations"] for v in _numbers(e["kwargs"]))
    on_x = [e for e in suite["expectations"] if e["kwargs"].get("column") == "x"]
    ranges = [e for e in on_x if e["type"] == "expect_column_values_to_be_between"]
    # Their share (1 of 40 per day) is allowed like nulls: blocking only above it plus a tolerance.
    assert {e["severity"] for e in ranges} == {"critical", "warning"}
    assert all(0 < e["kwargs"]["mostly"] < 1 for e in ranges)
    # Aggregates GX computes over every value (an infinity makes them infinite) are left out.
    assert not {e["type"] for e in on_x} & {"expect_column_mean_to_be_between", "expect_column_max_to_be_between"}
    assert "expect_column_mean_to_be_between" in {
        e["type"] for e in suite["expectations"] if e["kwargs"].get("column") == "y"
    }
    # A later day with an infinity, like the window's, passes.
    assert main(["checkpoint", "run", "t_daily", "--date", DAYS[3]]) == 0, capsys.readouterr().out


@pytest.mark.parametrize(
    ("columns", "rows"),
    [
        ({"constant": lambda n, i, rng: np.full(n, 5.0), "constant_int": lambda n, i, rng: np.full(n, 3)}, 40),
        ({"all_null": lambda n, i, rng: np.full(n, np.nan), "x": lambda n, i, rng: rng.normal(0, 1, n)}, 40),
        ({"null_first_day": lambda n, i, rng: np.full(n, np.nan) if i == 0 else rng.normal(0, 1, n)}, 40),
        ({"one_value": lambda n, i, rng: np.where((np.arange(n) == 0) & (i == 0), 1.0, np.nan)}, 40),
        ({"x": lambda n, i, rng: rng.normal(0, 1, n), "all_infinite": lambda n, i, rng: np.full(n, np.inf)}, 40),
        ({"x": lambda n, i, rng: rng.normal(0, 1, n)}, 1),  # one row a day
    ],
    ids=["constant", "all-null", "null-first-day", "one-value-in-the-window", "all-infinite", "one-row-days"],
)
def test_a_successful_scaffold_prints_nothing_on_stderr(project, capsys, columns, rows):
    settings, engine = project
    _write(engine, columns, rows=rows)
    assert _scaffold(capsys, last=DAYS[1]) == (0, "")
    _strict((settings.gx_root / "expectations" / "t_daily.json").read_text())


def test_values_too_large_to_square_are_one_line_and_nothing_is_written(project, capsys):
    settings, engine = project
    _write(engine, {"huge": lambda n, i, rng: rng.normal(1e300, 1e299, n)})
    code, err = _scaffold(capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err and "--exclude huge" in lines[0]
    assert not (settings.gx_root / "expectations" / "t_daily.json").exists()
