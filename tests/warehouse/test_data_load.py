"""``trainguard data load``: any CSV or Parquet file into a daily-partitioned table, dates
normalised, reruns idempotent, and a bad file changes nothing."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.conftest import make_project, run_cli


@pytest.fixture
def project(tmp_path):
    settings, env = make_project(tmp_path)
    return tmp_path, sa.create_engine(settings.warehouse_url), env


def _rows(engine, sql="SELECT day, COUNT(*) FROM sales GROUP BY day ORDER BY day"):
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql))]


def test_csv_with_mixed_date_formats_lands_as_days(project):
    path, engine, env = project
    pd.DataFrame(
        {
            "day": ["2026-05-01", "2026-05-01T23:59:00", "2026/05/02", "2026-05-02 08:00"],
            "amount": [1.5, 2.0, 3.0, 4.5],
            "shop": ["a", "b", "a", "c"],
        }
    ).to_csv(path / "sales.csv", index=False)
    proc = run_cli(
        "data", "load", "--table", "sales", "--file", str(path / "sales.csv"), "--date-column", "day", env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert "replaced 2 day(s) of 'sales' (2026-05-01..2026-05-02): 4 rows" in proc.stdout
    assert _rows(engine) == [("2026-05-01", 2), ("2026-05-02", 2)]
    assert any(ix["column_names"] == ["day"] for ix in sa.inspect(engine).get_indexes("sales"))
    # A rerun replaces the same days instead of duplicating them; append adds.
    assert (
        run_cli(
            "data", "load", "--table", "sales", "--file", str(path / "sales.csv"), "--date-column", "day", env=env
        ).returncode
        == 0
    )
    assert _rows(engine) == [("2026-05-01", 2), ("2026-05-02", 2)]
    args = ["data", "load", "--table", "sales", "--file", str(path / "sales.csv"), "--date-column", "day"]
    assert run_cli(*args, "--mode", "append", env=env).returncode == 0
    assert _rows(engine) == [("2026-05-01", 4), ("2026-05-02", 4)]


def test_compact_numeric_dates(project):
    path, engine, env = project
    (path / "sales.csv").write_text("day,amount\n20260501,1.0\n20260502,2.0\n")
    proc = run_cli(
        "data", "load", "--table", "sales", "--file", str(path / "sales.csv"), "--date-column", "day", env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert _rows(engine) == [("2026-05-01", 1), ("2026-05-02", 1)]


def test_parquet_with_timestamps(project):
    path, engine, env = project
    frame = pd.DataFrame({"day": pd.to_datetime(["2026-05-03 10:00", "2026-05-04 11:00"]), "amount": [1.0, 2.0]})
    frame.to_parquet(path / "sales.parquet")
    proc = run_cli(
        "data", "load", "--table", "sales", "--file", str(path / "sales.parquet"), "--date-column", "day", env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert _rows(engine) == [("2026-05-03", 1), ("2026-05-04", 1)]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("day,amount\n2026-05-01,1\nnot a day,2\n", "bad.csv", "not a date in data row 2: 'not a day'"),
        ("day,amount\n2026-05-01,1\n,2\n", "empty.csv", "is empty in data row 2"),
        ("when,amount\n2026-05-01,1\n", "nodate.csv", "has no column 'day'"),
        ("day,amount\n", "norows.csv", "has no rows"),
        ("day,bad name\n2026-05-01,1\n", "badcol.csv", "invalid column name 'bad name'"),
        ("day,amount\n2026-05-01,1\n", "sales.txt", "unsupported file type '.txt'"),
        ("", "empty.csv", "cannot read empty.csv"),
        (
            "day,amount\n" + "2026-05-01,1\n" * 30 + "2026-05-02,lots\n",
            "mixed.csv",
            "'amount' is numeric except in data row 31: 'lots'",
        ),
    ],
)
def test_bad_files_are_usage_errors_and_write_nothing(project, content, name, message):
    path, engine, env = project
    pd.DataFrame({"amount": [7.0]}).assign(day="2026-04-30").to_sql("sales", engine, index=False)
    (path / name).write_text(content)
    proc = run_cli("data", "load", "--table", "sales", "--file", str(path / name), "--date-column", "day", env=env)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert _rows(engine) == [("2026-04-30", 1)]


def test_a_file_in_another_encoding_is_a_usage_error(project):
    path, engine, env = project
    (path / "latin.csv").write_bytes("day,shop\n2026-05-01,caf\xe9\n".encode("latin-1"))
    proc = run_cli(
        "data", "load", "--table", "sales", "--file", str(path / "latin.csv"), "--date-column", "day", env=env
    )
    assert proc.returncode == 2 and "cannot read latin.csv" in proc.stderr and "utf-8" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not sa.inspect(engine).has_table("sales")


def test_missing_file_is_a_usage_error(project):
    path, _, env = project
    proc = run_cli(
        "data", "load", "--table", "sales", "--file", str(path / "nope.csv"), "--date-column", "day", env=env
    )
    assert proc.returncode == 2 and "no such file" in proc.stderr
