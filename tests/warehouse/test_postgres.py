"""The same checkpoint, pushed down into the real PostgreSQL server (own database per run)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from tests.conftest import make_project, postgres_database, run_cli

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def postgres_url():
    with postgres_database() as url:
        yield url


def test_checkpoint_runs_in_postgres_and_catches_the_skewed_day(postgres_url):
    from training.demo.generate import Skew
    from training.demo.seed import seed_demo

    engine = sa.create_engine(postgres_url)
    seed_demo(
        engine, dt.date(2026, 9, 10), dt.date(2026, 9, 12), [Skew(dt.date(2026, 9, 12), "null_burst", "passengers")]
    )
    env = {"TRAINGUARD_WAREHOUSE_URL": postgres_url}
    proc = run_cli("checkpoint", "run", "trips_daily", "--from", "2026-09-10", "--to", "2026-09-12", "--json", env=env)
    assert proc.returncode == 1, proc.stderr[-2000:]
    data = json.loads(proc.stdout)
    assert [r["success"] for r in data["results"]] == [True, True, False]
    failed = data["results"][2]["failures"]
    assert [(f["expectation"], f["column"]) for f in failed] == [("expect_column_values_to_not_be_null", "passengers")]
    with engine.connect() as conn:
        recorded = conn.execute(sa.text("SELECT batch_value, success FROM trainguard_validations ORDER BY batch_value"))
        assert [tuple(r) for r in recorded] == [("2026-09-10", True), ("2026-09-11", True), ("2026-09-12", False)]
    engine.dispose()


def test_unreachable_warehouse_is_a_clear_configuration_error():
    env = {"TRAINGUARD_WAREHOUSE_URL": "postgresql+psycopg2://nobody:secret@127.0.0.1:1/none"}
    proc = run_cli("checkpoint", "run", "trips_daily", "--date", "2026-09-10", env=env)
    assert proc.returncode == 2
    assert "cannot reach the warehouse" in proc.stderr
    assert "secret" not in proc.stderr and "Traceback" not in proc.stderr


def test_scaffolded_suite_gives_the_same_verdicts_in_postgres_and_sqlite(postgres_url, tmp_path):
    from training.demo.generate import Skew
    from training.demo.seed import seed_demo

    start, end, skewed = dt.date(2026, 6, 1), dt.date(2026, 7, 1), dt.date(2026, 7, 1)
    verdicts = {}
    for label, url in (("postgres", postgres_url), ("sqlite", None)):
        settings, env = make_project(tmp_path / label, url)
        engine = sa.create_engine(settings.warehouse_url)
        seed_demo(engine, start, end, [Skew(skewed, "new_category", "payment_type")])
        engine.dispose()
        args = ["--table", "trips", "--date-column", "ds", "--reference", "2026-06-01:2026-06-28", "--name", "trips_s"]
        proc = run_cli("suite", "scaffold", *args, env=env)
        assert proc.returncode == 0, proc.stderr
        proc = run_cli("checkpoint", "run", "trips_s", "--from", "2026-06-29", "--to", "2026-07-01", "--json", env=env)
        assert proc.returncode == 1, proc.stderr[-2000:]
        verdicts[label] = [
            (r["batch_value"], r["success"], sorted((f["expectation"], f["column"]) for f in r["failures"]))
            for r in json.loads(proc.stdout)["results"]
        ]
    assert verdicts["postgres"] == verdicts["sqlite"]
    assert [v[1] for v in verdicts["postgres"]] == [True, True, False]
    assert ("expect_column_values_to_be_in_set", "payment_type") in verdicts["postgres"][2][2]


def test_a_file_that_fails_half_way_writes_nothing(postgres_url, tmp_path):
    _, env = make_project(tmp_path, postgres_url)
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE sales (day TEXT NOT NULL, amount DOUBLE PRECISION)"))
        conn.execute(sa.text("INSERT INTO sales VALUES ('2026-05-01', 1.0)"))
    (tmp_path / "sales.csv").write_text("day,amount\n2026-05-01,2.0\n2026-05-02,lots\n")
    proc = run_cli(
        "data", "load", "--table", "sales", "--file", str(tmp_path / "sales.csv"), "--date-column", "day", env=env
    )
    assert proc.returncode == 2
    assert "nothing was written" in proc.stderr
    with engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(sa.text("SELECT day, amount FROM sales"))] == [("2026-05-01", 1.0)]
    engine.dispose()


def test_train_validate_and_promote_end_to_end_in_postgres(postgres_url, tmp_path):
    from training.demo.seed import seed_demo

    _, env = make_project(tmp_path, postgres_url)
    env["TRAINGUARD_MODEL_STORE"] = str(tmp_path / "models")
    engine = sa.create_engine(postgres_url)
    seed_demo(engine, dt.date(2026, 8, 1), dt.date(2026, 8, 9))
    proc = run_cli("checkpoint", "run", "trips_daily", "--from", "2026-08-01", "--to", "2026-08-09", env=env)
    assert proc.returncode == 0, proc.stdout[-2000:]
    proc = run_cli("model", "train", "--date", "2026-08-09", "--json", env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    model_id = json.loads(proc.stdout)["model_id"]
    proc = run_cli("checkpoint", "run", "trips_model", "--model", model_id, env=env)
    assert proc.returncode == 0, proc.stdout[-2000:]
    proc = run_cli("model", "promote", model_id, env=env)
    assert proc.returncode == 0, proc.stderr
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT model_id FROM trainguard_production")).scalar_one() == model_id
        observed = conn.execute(
            sa.text(
                "SELECT COUNT(DISTINCT batch_value) FROM trainguard_observations "
                "WHERE checkpoint = 'trips_daily' AND batch_value LIKE '2026-08-%'"
            )
        ).scalar_one()
        assert observed == 9  # numeric observed values recorded for every validated day
        indexes = sa.inspect(conn).get_indexes("trips")
    assert any(ix["column_names"] == ["ds"] for ix in indexes)
    engine.dispose()


def test_two_writers_of_the_same_model_at_once_store_it_once(postgres_url):
    """Two runs of the same day register the same model id at the same moment. Both transactions
    are held at their first DELETE until the other arrives (or 3 s pass): without the registry's
    lock both would delete nothing and one insert would hit the primary key."""
    import threading

    from sqlalchemy import event

    from training.model.registry import get_model, register_model
    from training.warehouse.tables import ensure_tables

    engine = sa.create_engine(postgres_url)
    record = {
        "model_id": "same-day-model",
        "pipeline": "p_concurrent",
        "trained_for": "2026-07-04",
        "window_start": "2026-07-01",
        "window_end": "2026-07-04",
        "train_rows": 10,
        "holdout_rows": 5,
        "path": "/nowhere",
        "created_at": dt.datetime(2026, 7, 5, tzinfo=dt.UTC),
        "status": "candidate",
    }
    metrics = {"holdout": {"mae": 1.0, "rmse": 2.0}, "meta": {"rows:train": 10.0}}
    barrier = threading.Barrier(2, timeout=3)

    def meet(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("DELETE FROM trainguard_model_metrics"):
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass  # the other writer is waiting for our lock: go on alone

    errors: list[BaseException] = []

    def write(value: float) -> None:
        try:
            register_model(engine, record, {**metrics, "holdout": {"mae": value, "rmse": 2.0}})
        except BaseException as exc:
            errors.append(exc)

    ensure_tables(engine)  # the registry exists already, as it does after the first run
    event.listen(engine, "before_cursor_execute", meet)
    try:
        threads = [threading.Thread(target=write, args=(v,)) for v in (1.0, 1.5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        event.remove(engine, "before_cursor_execute", meet)
    assert errors == []
    stored = get_model(engine, "same-day-model")
    assert stored["metrics"]["holdout"]["mae"] in (1.0, 1.5)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT COUNT(*) FROM trainguard_model_metrics WHERE model_id = 'same-day-model'"))
        assert rows.scalar_one() == 3
    engine.dispose()


SHOW_SESSION = """
import sqlalchemy as sa
from training.extensions import open_context
from training.core.settings import get_settings
from training.warehouse.engine import get_engine
from training.gx_speedups.registry import active

gx_engine = open_context().data_sources.get("warehouse").get_engine()
for engine in (gx_engine, get_engine(get_settings().warehouse_url)):
    with active(), engine.connect() as conn:  # GX's engine: while trainguard's runner is active
        print(conn.execute(sa.text("SHOW jit")).scalar(), conn.execute(sa.text("SHOW work_mem")).scalar())
"""


def test_sessions_start_with_the_configured_options(postgres_url):
    """GX's engine and trainguard's own start without JIT (TRAINGUARD_POSTGRES_OPTIONS), options
    in the URL are kept, and an empty setting leaves the server's defaults."""
    url = f"{postgres_url}?options=-c%20work_mem%3D5MB"
    for options, jit in ((None, "off"), ("", "on")):
        env = {**os.environ, "TRAINGUARD_WAREHOUSE_URL": url}
        env.pop("TRAINGUARD_POSTGRES_OPTIONS", None)
        if options is not None:
            env["TRAINGUARD_POSTGRES_OPTIONS"] = options
        proc = subprocess.run(
            [sys.executable, "-c", SHOW_SESSION], env=env, capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert proc.stdout.split() == [jit, "5MB"] * 2
