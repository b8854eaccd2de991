"""Faults caused for real: processes SIGKILLed at precise points of a model save and of a
promotion, two runs of the same day at once, and the warehouse connection cut mid-checkpoint.

Each fault runs in a child process that kills itself (``os.kill(os.getpid(), SIGKILL)``: no
``finally``, no rollback by Python) at the chosen statement or rename; the parent then checks
what a user would find: the previous production model, its artifact and the registry rows."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import REPO, make_project, postgres_database, run_cli

# The child: applies one fault, then runs one operation. Arguments come as one JSON object.
CHILD = r"""
import json, os, signal, sys
cfg = json.loads(sys.argv[1])

def die(*_args, **_kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

fault = cfg.get("fault")
if fault == "dump":
    # Half an artifact is on disk when the process dies.
    import joblib
    def half_dump(model, path, *args, **kwargs):
        with open(path, "wb") as fh:
            fh.write(b"\x80\x04partial")
        die()
    joblib.dump = half_dump
elif fault == "swap":
    # Everything is written; the process dies just before the rename that publishes it.
    import training.model.store as store
    real_replace = os.replace
    def replace(src, dst):
        if os.path.basename(str(dst)) == cfg["model_id"]:
            die()
        return real_replace(src, dst)
    store.os.replace = replace

import sqlalchemy as sa
from sqlalchemy import event
if fault == "statement":
    # Dies as the given statement is sent, inside the open transaction.
    @event.listens_for(sa.Engine, "before_cursor_execute")
    def kill_at(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith(cfg["statement"]):
            die()

if cfg["op"] == "train":
    from dataclasses import replace
    from training.demo.spec import DEMO_SPEC
    from training.model.train import train_for_day
    import datetime as dt
    spec = replace(DEMO_SPEC, pipeline=cfg["pipeline"])
    print(train_for_day(spec, dt.date.fromisoformat(cfg["day"])).model_id)
elif cfg["op"] == "promote":
    from training.model.registry import promote
    promote(sa.create_engine(cfg["url"]), cfg["pipeline"], cfg["model_id"], reason="child")
"""


def child(cfg: dict[str, Any], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(cfg)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=REPO,
        timeout=300,
        check=False,
    )


def _registry(engine: sa.Engine, pipeline: str) -> dict[str, Any]:
    """Everything the registry holds about ``pipeline``, for before/after comparisons."""
    with engine.connect() as conn:
        return {
            "production": conn.execute(
                sa.text("SELECT model_id FROM trainguard_production WHERE pipeline = :p"), {"p": pipeline}
            ).all(),
            "models": conn.execute(
                sa.text("SELECT model_id, status FROM trainguard_models WHERE pipeline = :p ORDER BY model_id"),
                {"p": pipeline},
            ).all(),
            "metrics": conn.execute(
                sa.text(
                    "SELECT m.model_id, m.split, m.metric, m.value FROM trainguard_model_metrics m "
                    "JOIN trainguard_models USING (model_id) WHERE pipeline = :p ORDER BY 1, 2, 3"
                ),
                {"p": pipeline},
            ).all(),
            "promotions": conn.execute(
                sa.text(
                    "SELECT model_id, previous_model_id FROM trainguard_promotions WHERE pipeline = :p ORDER BY id"
                ),
                {"p": pipeline},
            ).all(),
        }


# --- SIGKILL during a model save --------------------------------------------------------


@pytest.mark.parametrize("fault", ["dump", "swap"])
def test_sigkill_while_saving_a_model_keeps_the_production_artifact(fault, settings, demo_warehouse, tmp_path):
    """A rerun of the production model's day writes the same model id: killed mid-write or just
    before publishing, the production artifact must still load and nothing half-written may
    appear under a model's name."""
    import joblib

    from training.demo.spec import DEMO_SPEC
    from training.model.registry import promote
    from training.model.train import train_for_day

    pipeline = f"trips_kill_{uuid.uuid4().hex[:8]}"
    store = tmp_path / "models"
    private = dataclasses.replace(settings, model_store=store)
    spec = dataclasses.replace(DEMO_SPEC, pipeline=pipeline)
    model_id = train_for_day(spec, dt.date(2026, 9, 8), private).model_id
    promote(demo_warehouse, pipeline, model_id, reason="baseline")
    meta_before = (store / model_id / "meta.json").read_text()
    registry_before = _registry(demo_warehouse, pipeline)

    cfg = {"op": "train", "pipeline": pipeline, "day": "2026-09-08", "fault": fault, "model_id": model_id}
    proc = child(cfg, {"TRAINGUARD_MODEL_STORE": str(store)})
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]

    assert (store / model_id / "meta.json").read_text() == meta_before
    assert hasattr(joblib.load(store / model_id / "model.joblib"), "predict")
    assert _registry(demo_warehouse, pipeline) == registry_before
    # Only the published model is visible; leftovers of the dead writer are hidden folders.
    assert [p.name for p in store.iterdir() if not p.name.startswith(".")] == [model_id]

    rerun = child({"op": "train", "pipeline": pipeline, "day": "2026-09-08"}, {"TRAINGUARD_MODEL_STORE": str(store)})
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert rerun.stdout.strip() == model_id
    assert (
        json.loads((store / model_id / "meta.json").read_text())["created_at"] != json.loads(meta_before)["created_at"]
    )
    assert hasattr(joblib.load(store / model_id / "model.joblib"), "predict")
    after = _registry(demo_warehouse, pipeline)
    assert after["production"] == registry_before["production"]
    assert len(after["metrics"]) == len(registry_before["metrics"])  # replaced, not duplicated


def test_sigkill_between_deleting_and_rewriting_a_models_metrics_loses_none(settings, demo_warehouse, tmp_path):
    """A rerun replaces its model's rows (DELETE, then INSERT); killed after the DELETE, the
    transaction never commits and the previous metrics are all still there."""
    import joblib

    from training.demo.spec import DEMO_SPEC
    from training.model.registry import promote
    from training.model.train import train_for_day

    pipeline = f"trips_kill_{uuid.uuid4().hex[:8]}"
    store = tmp_path / "models"
    spec = dataclasses.replace(DEMO_SPEC, pipeline=pipeline)
    model_id = train_for_day(spec, dt.date(2026, 9, 8), dataclasses.replace(settings, model_store=store)).model_id
    promote(demo_warehouse, pipeline, model_id, reason="baseline")
    before = _registry(demo_warehouse, pipeline)
    assert len(before["metrics"]) > 10

    cfg = {"op": "train", "pipeline": pipeline, "day": "2026-09-08", "fault": "statement"}
    proc = child({**cfg, "statement": "INSERT INTO trainguard_model_metrics"}, {"TRAINGUARD_MODEL_STORE": str(store)})
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert _registry(demo_warehouse, pipeline) == before
    # The artifact of the same id was already republished (same inputs, same model): it loads.
    assert hasattr(joblib.load(store / model_id / "model.joblib"), "predict")


# --- SIGKILL during a promotion ---------------------------------------------------------


def _fake_model(model_id: str, pipeline: str) -> dict[str, Any]:
    return {
        "model_id": model_id,
        "pipeline": pipeline,
        "trained_for": "2026-07-04",
        "window_start": "2026-07-01",
        "window_end": "2026-07-04",
        "train_rows": 10,
        "holdout_rows": 5,
        "path": f"/models/{model_id}",
        "created_at": dt.datetime(2026, 7, 5, tzinfo=dt.UTC),
        "status": "candidate",
    }


def _kill_mid_promotion(url: str) -> None:
    from training.model.registry import production_model, promote, register_model

    engine = sa.create_engine(url)
    pipeline = f"p_{uuid.uuid4().hex[:8]}"
    for model_id in ("m-old", "m-new"):
        register_model(engine, _fake_model(f"{pipeline}-{model_id}", pipeline), {"holdout": {"mae": 1.0}})
    promote(engine, pipeline, f"{pipeline}-m-old", reason="baseline")
    before = _registry(engine, pipeline)
    # Each statement of the promotion transaction in turn: the last one is the pointer switch.
    statements = ("INSERT INTO trainguard_promotions", "UPDATE trainguard_models", "INSERT INTO trainguard_production")
    for statement in statements:
        cfg = {"op": "promote", "url": url, "pipeline": pipeline, "model_id": f"{pipeline}-m-new"}
        proc = child({**cfg, "fault": "statement", "statement": statement})
        assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
        engine.dispose()  # a fresh connection, as the next process would have
        assert _registry(engine, pipeline) == before, statement
    proc = child({"op": "promote", "url": url, "pipeline": pipeline, "model_id": f"{pipeline}-m-new"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert production_model(engine, pipeline) == f"{pipeline}-m-new"
    after = _registry(engine, pipeline)
    assert after["models"] == [(f"{pipeline}-m-new", "production"), (f"{pipeline}-m-old", "retired")]
    assert after["promotions"] == [*before["promotions"], (f"{pipeline}-m-new", f"{pipeline}-m-old")]
    engine.dispose()


def test_sigkill_mid_promotion_leaves_production_as_it_was_sqlite(tmp_path):
    _kill_mid_promotion(f"sqlite:///{tmp_path / 'warehouse.db'}")


@pytest.mark.postgres
def test_sigkill_mid_promotion_leaves_production_as_it_was_postgres():
    with postgres_database() as url:
        _kill_mid_promotion(url)


# --- Two runs of the same day at once (PostgreSQL) ------------------------------------------


@pytest.fixture(scope="module")
def pg_project(tmp_path_factory):
    """A PostgreSQL warehouse with 9 seeded demo days and a private GX project and model store."""
    from training.demo.seed import seed_demo

    with postgres_database() as url:
        base = tmp_path_factory.mktemp("pg_faults")
        _, env = make_project(base, url)
        env["TRAINGUARD_MODEL_STORE"] = str(base / "models")
        engine = sa.create_engine(url)
        seed_demo(engine, dt.date(2026, 8, 1), dt.date(2026, 8, 9))
        engine.dispose()
        yield url, env, base


def _popen(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("trainguard")
    return subprocess.Popen(
        [str(exe), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **env}
    )


@pytest.mark.postgres
def test_two_runs_of_the_same_day_at_once_store_consistent_rows(pg_project):
    """Two checkpoint runs of one day start together on a fresh database (both create
    trainguard's tables), then two trainings of one day run together: every process finishes,
    each validation is stored whole, and the model's metrics are stored once."""
    url, env, _ = pg_project
    days = ["--from", "2026-08-01", "--to", "2026-08-08"]
    procs = [_popen(["checkpoint", "run", "trips_daily", *days, "--json"], env) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, outs, strict=True):
        assert proc.returncode == 0, err[-2000:]
        assert "Traceback" not in err
        assert [r["success"] for r in json.loads(out)["results"]] == [True] * 8

    procs = [_popen(["model", "train", "--date", "2026-08-08", "--json"], env) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for proc, (_, err) in zip(procs, outs, strict=True):
        assert proc.returncode == 0, err[-2000:]
    results = [json.loads(out) for out, _ in outs]
    assert results[0]["model_id"] == results[1]["model_id"]
    model_id = results[0]["model_id"]
    expected = sum(len(values) for values in results[0]["metrics"].values())

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        validations = conn.execute(
            sa.text(
                "SELECT batch_value, COUNT(*), bool_and(success), MIN(evaluated), MAX(evaluated) "
                "FROM trainguard_validations WHERE checkpoint = 'trips_daily' GROUP BY batch_value ORDER BY 1"
            )
        ).all()
        # Observed values grouped by run: every run of a day stored the same number of them.
        per_run = conn.execute(
            sa.text(
                "SELECT batch_value, run_at, COUNT(*) FROM trainguard_observations "
                "WHERE checkpoint = 'trips_daily' GROUP BY batch_value, run_at"
            )
        ).all()
        metrics = conn.execute(
            sa.text(
                "SELECT COUNT(*), COUNT(DISTINCT (split, metric)) FROM trainguard_model_metrics WHERE model_id = :m"
            ),
            {"m": model_id},
        ).one()
        stored = dict(
            conn.execute(
                sa.text("SELECT metric, value FROM trainguard_model_metrics WHERE model_id = :m AND split = 'holdout'"),
                {"m": model_id},
            ).all()
        )
    engine.dispose()
    assert [(v[0], v[1], v[2]) for v in validations] == [(f"2026-08-0{d}", 2, True) for d in range(1, 9)]
    assert all(v[3] == v[4] > 0 for v in validations)
    assert len(per_run) == 16 and len({count for _, _, count in per_run}) == 1
    assert tuple(metrics) == (expected, expected)  # once each, no duplicates
    assert stored in (results[0]["metrics"]["holdout"], results[1]["metrics"]["holdout"])  # one writer's, whole


# --- The warehouse connection cut mid-checkpoint (PostgreSQL) -------------------------------

# Pauses the CLI at the GX run's Nth query of the table (the batch list query excluded) until
# the test has cut its connections; then the query goes out on a dead connection.
HOOK = r"""
import os, sys, time
import great_expectations.checkpoint.checkpoint as gx_checkpoint
import sqlalchemy as sa
from sqlalchemy import event

state = {"in_gx": False, "seen": 0}
real_run = gx_checkpoint.Checkpoint.run

def run(self, *args, **kwargs):
    state["in_gx"] = True
    return real_run(self, *args, **kwargs)

gx_checkpoint.Checkpoint.run = run

@event.listens_for(sa.Engine, "before_cursor_execute")
def pause(conn, cursor, statement, parameters, context, executemany):
    if not state["in_gx"] or "trips" not in statement or "distinct(ds)" in statement:
        return
    state["seen"] += 1
    if state["seen"] == int(os.environ["HOOK_AT"]):
        open(os.environ["HOOK_READY"], "w").close()
        while not os.path.exists(os.environ["HOOK_GO"]):
            time.sleep(0.05)

if os.environ.get("HOOK_BACK"):
    # Also pause before the outcome is recorded, so the test can let the warehouse come back.
    from training.gx.record.action import RecordOutcomeAction

    real_record = RecordOutcomeAction.run

    def record(self, *args, **kwargs):
        open(os.environ["HOOK_BACK"], "w").close()
        while os.path.exists(os.environ["HOOK_BACK"]):
            time.sleep(0.05)
        return real_record(self, *args, **kwargs)

    RecordOutcomeAction.run = record

from training.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.postgres
# The day's one query of the table is the bundled scan (every metric of the suite in one
# statement, no query for unexpected values known to be none): the cut comes there.
@pytest.mark.parametrize(("query", "back_before_recording"), [(1, False), (1, True)])
def test_connection_cut_mid_checkpoint_is_a_one_line_error_and_records_no_pass(
    pg_project, tmp_path, query, back_before_recording
):
    """Mid-run, every connection of the database is terminated and new ones are refused (the
    warehouse went away): the run ends with exit 2 and one line, records nothing, and a rerun
    once the warehouse is back passes. When the warehouse is back just before the outcome is
    recorded, the queries that failed must not be recorded as a failed (skewed) day either."""
    url, env, _ = pg_project
    day = "2026-08-09"
    before = _validations_of(url, day)
    admin = sa.create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    database = url.rsplit("/", 1)[1]
    ready, go = tmp_path / "ready", tmp_path / "go"
    hook_env = {**env, "HOOK_AT": str(query), "HOOK_READY": str(ready), "HOOK_GO": str(go)}
    back = tmp_path / "back"
    if back_before_recording:
        hook_env["HOOK_BACK"] = str(back)
    proc = subprocess.Popen(
        [sys.executable, "-c", HOOK, "checkpoint", "run", "trips_daily", "--date", day],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **hook_env},
        cwd=REPO,
    )
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the checkpoint never reached the paused query"
            time.sleep(0.05)
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS false'))
            killed = conn.execute(
                sa.text(
                    "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :db AND pid <> pg_backend_pid()"
                ),
                {"db": database},
            ).scalar_one()
        assert killed >= 1
        go.touch()
        if back_before_recording:
            while not back.exists():
                assert proc.poll() is None, proc.communicate()
                time.sleep(0.05)
            with admin.connect() as conn:
                conn.execute(sa.text(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true'))
            back.unlink()
        out, err = proc.communicate(timeout=120)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true'))
        admin.dispose()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 2, (out, err[-3000:])
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: warehouse error while validating {day}: "), err[-3000:]
    assert "Traceback" not in err and "PASSED" not in out

    assert _validations_of(url, day) == before  # nothing recorded, neither pass nor fail
    rerun = run_cli("checkpoint", "run", "trips_daily", "--date", day, env=env)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert _validations_of(url, day) == [*before, True]


def _validations_of(url: str, day: str) -> list[bool]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("trainguard_validations"):
                return []
            query = sa.text("SELECT success FROM trainguard_validations WHERE batch_value = :d ORDER BY id")
            return [success for (success,) in conn.execute(query, {"d": day})]
    finally:
        engine.dispose()
