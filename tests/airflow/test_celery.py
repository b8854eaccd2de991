"""Airflow on Celery workers: a real ``airflow celery worker`` (Redis broker on 127.0.0.1:6379,
PostgreSQL as Airflow's metadata database and as the warehouse) executes the demo DAG's tasks,
and a day ends as it does with the LocalExecutor.

The worker shares only what the README names with the process that schedules the runs: the GX
folder, the model store and the warehouse. It has its own Airflow home (so its own task logs)
and its own var folder. Its ``hostname_callable`` differs too (the host's IP address instead of
its name), so the task instances' recorded host tells which process ran them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import REPO, free_port, make_project, postgres_database, run_cli, skip_or_fail

pytestmark = pytest.mark.airflow

BIN = Path(sys.executable).parent
WORKER_HOST = "airflow.utils.net.get_host_ip_address"
# Logical dates and the day each validates: the skewed day, then a clean one.
RUNS = {"2026-09-13": "2026-09-12", "2026-09-14": "2026-09-13"}


def test_every_task_goes_to_the_configured_queue_or_airflows_default():
    from airflow.configuration import conf

    from training.airflow.pipeline_dag import build_dag
    from training.core.settings import get_settings
    from training.pipelines.config import find_pipeline

    spec = find_pipeline(get_settings().pipelines_dir, "trips_duration")
    routed = build_dag(spec, "trainguard_warehouse", queue="gx-workers")
    assert {t.queue for t in routed.tasks} == {"gx-workers"} and len(routed.tasks) == 8
    plain = build_dag(spec, "trainguard_warehouse")
    assert {t.queue for t in plain.tasks} == {conf.get("operators", "default_queue")}


def _redis_or_fail() -> None:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=3):
            pass
    except OSError as exc:
        skip_or_fail(f"Redis is not reachable on 127.0.0.1:6379: {exc}")


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def _process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """A process in its own group; afterwards the whole group (Celery's pool, task supervisors)
    is stopped as ``trainguard airflow standalone`` stops Airflow: SIGINT, SIGTERM, SIGKILL."""
    from training.airflow.standalone import stop_group

    with log.open("w") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        stop_group(proc)


def _wait_for(ready, proc: subprocess.Popen, log: Path, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, f"{what} exited: {log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"{what} not ready after {timeout} s: {log.read_text()[-3000:]}"
        time.sleep(0.5)


DEADLINES = b"_kombu.binding_deadlines"


@contextlib.contextmanager
def _redis_left_as_found(queue: str) -> Iterator[None]:
    """Leave the shared Redis as it was: the keys Celery and kombu created for this test's
    queue, worker and control channels, and what they added to kombu's deadline set, go."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379)
    before = set(client.scan_iter(count=1000))
    deadlines = set(client.zrange(DEADLINES, 0, -1))
    try:
        yield
    finally:
        with contextlib.suppress(redis.RedisError):  # never hide the test's own failure

            def celery_key(key: bytes) -> bool:
                return queue.encode() in key or key.startswith(b"_kombu.") or b"pidbox" in key or b"celeryev" in key

            new = [k for k in client.scan_iter(count=1000) if k not in before and k != DEADLINES and celery_key(k)]
            if new:
                client.delete(*new)
            added = set(client.zrange(DEADLINES, 0, -1)) - deadlines
            if added:
                client.zrem(DEADLINES, *added)
            if DEADLINES not in before and client.zcard(DEADLINES) == 0:
                client.delete(DEADLINES)
        client.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """The project (PostgreSQL warehouse with the demo days, reference window validated), the
    environments of the scheduling side and of the worker, and a running api-server."""
    _redis_or_fail()
    base = tmp_path_factory.mktemp("celery")
    with postgres_database("trainguard_celery_meta") as meta, postgres_database("trainguard_celery_wh") as warehouse:
        from training.core.settings import airflow_connection

        _, project = make_project(base, warehouse)
        port, queue = free_port(), f"trainguard-test-{secrets.token_hex(6)}"
        shared = {
            **os.environ,
            **project,
            "TRAINGUARD_MODEL_STORE": str(base / "models"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": meta,
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CELERY__BROKER_URL": "redis://127.0.0.1:6379/0",
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + meta.replace("+psycopg2", ""),
            # The DAG's tasks go to a queue of this test's own: another run on the same Redis (a
            # second test session, CI) neither takes these tasks nor hands over its own.
            "TRAINGUARD_AIRFLOW_QUEUE": queue,
            "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "3600",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
            "AIRFLOW_CONN_TRAINGUARD_WAREHOUSE": airflow_connection(warehouse),
        }
        scheduler = {
            **shared,
            "AIRFLOW_HOME": str(base / "scheduler"),
            "TRAINGUARD_VAR_DIR": str(base / "scheduler-var"),
        }
        worker = {
            **shared,
            "AIRFLOW_HOME": str(base / "worker"),
            "TRAINGUARD_VAR_DIR": str(base / "worker-var"),
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": WORKER_HOST,
        }
        migrate = subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=scheduler, capture_output=True, text=True)
        assert migrate.returncode == 0, migrate.stdout[-2000:] + migrate.stderr[-2000:]
        api_log, worker_log = base / "api-server.log", base / "celery-worker.log"
        worker_args = [str(BIN / "airflow"), "celery", "worker", "--queues", queue, "--concurrency", "2"]
        worker_args += ["--celery-hostname", f"trainguard-test-{secrets.token_hex(4)}@%h"]
        with (
            _redis_left_as_found(queue),
            _process([str(BIN / "airflow"), "api-server", "--port", str(port)], scheduler, api_log) as api,
            _process(worker_args, worker, worker_log) as celery_worker,
        ):
            # The demo days and the validated reference window, while the api-server and the
            # worker start.
            seed = ["demo", "seed", "--start", "2026-09-01", "--end", "2026-09-13"]
            for step in (
                [*seed, "--skew", "2026-09-12:mean_shift:distance_km"],
                ["checkpoint", "run", "trips_daily", "--from", "2026-09-01", "--to", "2026-09-09"],
            ):
                proc = run_cli(*step, env=scheduler)
                assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
            _wait_for(lambda: _healthy(f"http://127.0.0.1:{port}/api/v2/monitor/health"), api, api_log, "api-server")
            _wait_for(lambda: " ready." in worker_log.read_text(), celery_worker, worker_log, "celery worker")
            yield {
                "base": base,
                "scheduler": scheduler,
                "worker_log": worker_log,
                "meta": meta,
                "warehouse": warehouse,
            }


# Airflow 3.3's LocalExecutor sometimes never returns from its shutdown once the run is over
# ("Shutting down LocalExecutor; waiting for running tasks to finish." with every task done: 2 of
# 8 runs here, none with Celery). The run's outcome is recorded by then, so the command is
# stopped after a grace period and its exit code taken from the run's final state.
SHUTDOWN_GRACE = 30
FINISHED = re.compile(r"DagRun Finished: .*?\bstate=(\w+)")


def _dags_test(env: dict[str, str], logical: str, log: Path, timeout: float = 300) -> int:
    """``airflow dags test --use-executor`` of the demo DAG; its exit code (0: the run passed)."""
    args = [str(BIN / "airflow"), "dags", "test", "trainguard_demo", logical, "--use-executor"]
    with log.open("a") as out:
        offset = out.tell()
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline, finished, state = time.monotonic() + timeout, None, None
    while proc.poll() is None:
        if finished is None:
            with log.open(errors="replace") as output:
                output.seek(offset)
                found = FINISHED.search(output.read())
            if found:
                finished, state = time.monotonic(), found.group(1)
        stuck = finished is not None and time.monotonic() - finished > SHUTDOWN_GRACE
        if stuck or time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            assert stuck, f"airflow dags test {logical} did not finish in {timeout} s: see {log}"
            return 0 if state == "success" else 1
        time.sleep(0.5)
    return proc.returncode


def _task_instances(meta: str, logical: str) -> dict[str, tuple[str | None, str | None]]:
    """task_id -> (state, hostname) of the newest run of ``logical``."""
    engine = sa.create_engine(meta)
    query = sa.text(
        "SELECT ti.task_id, ti.state, ti.hostname FROM task_instance ti JOIN dag_run dr "
        "ON dr.dag_id = ti.dag_id AND dr.run_id = ti.run_id "
        "WHERE dr.dag_id = 'trainguard_demo' AND dr.logical_date = CAST(:logical AS timestamptz) "
        "ORDER BY dr.id DESC"
    )
    try:
        with engine.connect() as conn:
            rows = conn.execute(query, {"logical": logical}).all()
    finally:
        engine.dispose()
    found: dict[str, tuple[str | None, str | None]] = {}
    for task_id, state, host in rows:
        found.setdefault(task_id, (state, host))
    return found


def _outcomes(warehouse: str, day: str) -> tuple[list[tuple], str | None]:
    """The data gate's records of ``day`` (success, evaluated, failed), oldest first, and the
    production model."""
    engine = sa.create_engine(warehouse)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT success, evaluated, failed FROM trainguard_validations "
                    "WHERE checkpoint = 'trips_daily' AND batch_value = :day ORDER BY id"
                ),
                {"day": day},
            ).all()
            production = conn.execute(
                sa.text("SELECT model_id FROM trainguard_models WHERE status = 'production'")
            ).scalar_one_or_none()
    finally:
        engine.dispose()
    return [tuple(r) for r in rows], production


def _run(stack, env: dict[str, str], logical: str, label: str) -> dict:
    """Run the DAG for ``logical`` and read back what it did."""
    day = RUNS[logical]
    before = _outcomes(stack["warehouse"], day)[1]
    code = _dags_test(env, logical, stack["base"] / f"{label}.log")
    records, production = _outcomes(stack["warehouse"], day)
    assert records, f"no validation of {day} was recorded"
    tis = _task_instances(stack["meta"], logical)
    return {"code": code, "tis": tis, "record": records[-1], "before": before, "production": production}


def _states(run: dict) -> dict[str, str | None]:
    return {task: state for task, (state, _) in run["tis"].items()}


def _ran(run: dict) -> set[str]:
    return {task for task, state in _states(run).items() if state in ("success", "failed")}


@pytest.mark.postgres
def test_celery_worker_runs_the_demo_dag_with_the_local_executor_outcome(stack):
    skewed, clean = RUNS
    local = _run(stack, {**stack["scheduler"], "AIRFLOW__CORE__EXECUTOR": "LocalExecutor"}, clean, "local")

    # The worker listens on the test's queue from the start; the LocalExecutor never sends to it.
    celery = {logical: _run(stack, stack["scheduler"], logical, "celery") for logical in RUNS}
    received = stack["worker_log"].read_text()

    # The clean day: the same task states, recorded verdict and production model as with the
    # LocalExecutor; every gate passed, a model was trained, validated and promoted.
    assert celery[clean]["code"] == local["code"] == 0
    assert _states(celery[clean]) == _states(local) and set(_states(local).values()) == {"success"}
    assert celery[clean]["record"] == local["record"] and local["record"][0] is True
    assert celery[clean]["production"] == local["production"] is not None
    # The skewed day: the data gate fails, nothing is trained or promoted.
    states = _states(celery[skewed])
    assert celery[skewed]["code"] != 0 and celery[skewed]["record"][0] is False
    assert states["validate_data"] == "failed" and states["check_presence"] == "success"
    assert states["train_model"] == states["promote_model"] == "upstream_failed"
    assert states["build_data_docs"] == "success"
    assert celery[skewed]["production"] == celery[skewed]["before"]

    # Every task that ran under Celery ran in the worker: the host it recorded is the worker's
    # (its hostname_callable), not the scheduling side's, and the worker logged one workload each.
    worker_host = subprocess.run(
        [sys.executable, "-c", f"import airflow.utils.net as n; print(n.{WORKER_HOST.rsplit('.', 1)[1]}())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    for run in celery.values():
        assert {run["tis"][task][1] for task in _ran(run)} == {worker_host}
    assert worker_host not in {local["tis"][task][1] for task in _ran(local)}
    assert received.count("Executing workload in Celery") == sum(len(_ran(run)) for run in celery.values())

    # The worker's own task logs (its Airflow home) name the worker's host and the shared folders;
    # the LocalExecutor's tasks logged on the scheduling side.
    logs = sorted((stack["base"] / "worker" / "logs").rglob("task_id=validate_data/attempt=*.log"))
    assert len(logs) == len(RUNS)
    events = [json.loads(line).get("event", "") for line in logs[0].read_text().splitlines() if line.startswith("{")]
    gx_folder, models = stack["scheduler"]["TRAINGUARD_GX_ROOT"], stack["scheduler"]["TRAINGUARD_MODEL_STORE"]
    where = f"trainguard task on host {worker_host}: GX folder {gx_folder}, model store {models}, warehouse "
    assert any(event.startswith(where) for event in events), events
    assert len(list((stack["base"] / "scheduler" / "logs").rglob("task_id=validate_data/attempt=*.log"))) == 1
