"""The real Airflow DAG: it parses cleanly and gates training on the validated day."""

from __future__ import annotations

import contextlib
import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, SKEWED_DAY, run_cli

pytestmark = pytest.mark.airflow


@pytest.fixture(scope="session")
def airflow_db():
    airflow = Path(sys.executable).with_name("airflow")
    proc = subprocess.run([str(airflow), "db", "migrate"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


@pytest.fixture(scope="session")
def dag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert bag.import_errors == {}
    return bag.get_dag("trainguard_demo")


def test_dag_file_parses_fast_without_heavy_imports():
    code = (
        "import sys, time, runpy; t = time.perf_counter(); "
        f"runpy.run_path({str(REPO / 'dags' / 'trainguard_pipelines.py')!r}); "
        "heavy = [m for m in ('great_expectations', 'sklearn', 'pandas') if m in sys.modules]; "
        "assert not heavy, heavy; print(time.perf_counter() - t)"
    )
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert time.perf_counter() - start < 60  # sanity bound only; parse time is a benchmark figure


def test_task_graph_and_schedule(dag):
    assert type(dag.timetable).__name__ == "CronTriggerTimetable"
    assert dag.schedule == "@daily"
    assert dag.catchup is False and dag.max_active_runs == 1
    order = {t.task_id: sorted(t.downstream_task_ids) for t in dag.tasks}
    assert order == {
        "check_presence": ["train_model"],
        "check_volume": ["train_model"],
        "check_labels": ["train_model"],
        "validate_data": ["build_data_docs", "train_model"],
        "train_model": ["promote_model", "validate_model"],
        "validate_model": ["build_data_docs", "promote_model"],
        "promote_model": ["build_data_docs"],
        "build_data_docs": [],
    }
    assert dag.get_task("build_data_docs").is_teardown
    validate = dag.get_task("validate_data")
    assert "batch_parameters" in validate.template_fields
    assert validate.batch_parameters == {"ds": "{{ macros.ds_add(ds, -1) }}"}
    assert [link.name for link in validate.operator_extra_links] == ["Data Docs"]
    assert validate.by_date is True and dag.get_task("validate_model").by_date is False
    volume = dag.get_task("check_volume")
    assert volume.sql1.endswith("WHERE ds='{{ macros.ds_add(ds, -1) }}'")
    assert volume.sql2.endswith("WHERE ds='{{ macros.ds_add(ds, -8) }}'")
    assert volume.ignore_zero is False
    sql_checks = ("check_presence", "check_volume", "check_labels")
    assert {dag.get_task(t).conn_id for t in sql_checks} == {"trainguard_warehouse"}


def _states(dag_run) -> dict[str, str | None]:
    return {ti.task_id: (str(ti.state) if ti.state else None) for ti in dag_run.get_task_instances()}


def _logical(day: dt.date) -> dt.datetime:
    # A run validates the day before its logical date.
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def _docs_link(run, task_id: str) -> str | None:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = session.query(XComModel).filter_by(run_id=run.run_id, task_id=task_id, key="_link_DataDocsLink").first()
        return None if row is None else str(row.value).strip('"')


def _served_page(settings, url: str) -> Path:
    assert url.startswith("http://127.0.0.1:8765/validations/"), url
    return settings.data_docs_dir / url.removeprefix("http://127.0.0.1:8765/").split("#")[0]


def _xcom_result(run, task_id: str) -> dict:
    """What a checkpoint task pushed as ``return_value`` (its BatchResult, also when it failed)."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = session.query(XComModel).filter_by(run_id=run.run_id, task_id=task_id, key="return_value").one()
        return XComModel.deserialize_value(row)


def _tries(run, task_id: str) -> int:
    return next(ti.try_number for ti in run.get_task_instances() if ti.task_id == task_id)


def _try_ids(run, task_id: str) -> list[str]:
    """The task instance ids of every try of ``task_id`` in ``run`` (a retry gets a new id)."""
    from airflow.models.taskinstancehistory import TaskInstanceHistory
    from airflow.utils.session import create_session

    with create_session() as session:
        query = session.query(TaskInstanceHistory).filter_by(run_id=run.run_id, task_id=task_id)
        ids = [str(h.task_instance_id) for h in query]
    return [*ids, *(str(ti.id) for ti in run.get_task_instances() if ti.task_id == task_id)]


def _task_log(out: str, run, task_id: str) -> str:
    """The log lines of ``task_id`` (all its tries) in what ``dag.test`` printed: each try runs
    from its "Task started" line to the line recording its new state."""
    ids = _try_ids(run, task_id)
    lines, current = [], None
    for line in out.splitlines():
        if "Task started" in line:
            current = next((i for i in ids if f"ti_id={i}" in line), None)
        if current is not None:
            lines.append(line)
            if "new_state=" in line and f"ti_id={current}" in line:
                current = None
    return "\n".join(lines)


@contextlib.contextmanager
def _retried(task, retries: int = 1):
    """Let ``task`` retry at once, to tell a final failure from a retriable one."""
    saved = task.retries, task.retry_delay
    task.retries, task.retry_delay = retries, dt.timedelta(0)
    try:
        yield
    finally:
        task.retries, task.retry_delay = saved


def _recorded(engine, checkpoint: str, value: str) -> list[dict]:
    """Outcome rows of ``checkpoint`` for ``value``, newest first, without id and timestamp."""
    import sqlalchemy as sa

    from training.warehouse.tables import validations

    query = (
        sa.select(validations)
        .where(validations.c.checkpoint == checkpoint, validations.c.batch_value == value)
        .order_by(validations.c.id.desc())
    )
    with engine.connect() as conn:
        return [{k: v for k, v in r._asdict().items() if k not in ("id", "run_at")} for r in conn.execute(query)]


def _page_kind(settings, page: str | None) -> tuple[str, ...]:
    """Which kind of Data Docs page ``page`` is: its folders in the site (validations/<suite>)."""
    assert page and page.startswith("file://") and page.endswith(".html"), page
    return Path(page.removeprefix("file://")).resolve().relative_to(settings.data_docs_dir.resolve()).parts[:2]


def test_skewed_day_stops_before_training(dag, airflow_db, demo_warehouse, settings, capfd):
    from training.model.registry import list_models

    before = len(list_models(demo_warehouse))
    run = dag.test(logical_date=_logical(SKEWED_DAY))
    log = _task_log(capfd.readouterr().out, run, "validate_data")
    states = _states(run)
    assert str(run.state) == "failed"
    assert states["validate_data"] == "failed"
    assert states["check_presence"] == states["check_volume"] == states["check_labels"] == "success"
    assert states["train_model"] in ("upstream_failed", None)
    assert states["promote_model"] in ("upstream_failed", None)
    assert states["build_data_docs"] == "success"
    assert len(list_models(demo_warehouse)) == before
    page = _served_page(settings, _docs_link(run, "validate_data"))
    assert page.is_file() and SKEWED_DAY.isoformat() in page.name
    assert _docs_link(run, "validate_data").endswith(".html#failed-expectations")  # opens on the failures

    # The CLI's door (the same runner) decides the same and writes the same kind of record and page.
    from training.gx.run import run_checkpoint
    from training.gx.summary import format_batch

    day = SKEWED_DAY.isoformat()
    airflow_row = _recorded(demo_warehouse, "trips_daily", day)[0]
    airflow_result = _xcom_result(run, "validate_data")
    cli = run_checkpoint("trips_daily", [day]).results[0]
    cli_row = _recorded(demo_warehouse, "trips_daily", day)[0]
    assert airflow_result["success"] is cli.success is airflow_row["success"] is cli_row["success"] is False
    assert {k: v for k, v in airflow_row.items() if k != "docs_page"} == {
        k: v for k, v in cli_row.items() if k != "docs_page"
    }
    failed = {(f.expectation, f.column) for f in cli.failures}
    assert failed and {(f["expectation"], f["column"]) for f in airflow_result["failures"]} == failed
    assert _page_kind(settings, airflow_row["docs_page"]) == _page_kind(settings, cli_row["docs_page"])
    assert _page_kind(settings, airflow_result["docs_page"]) == _page_kind(settings, cli.docs_page)
    # The task log leads with the verdict line, then one line per failed check; the error says it too.
    verdict, *checks = format_batch(cli).splitlines()
    assert f"[error    ] {verdict}" in log and f"CheckpointFailed: {verdict}" in log
    failures = [line for line in checks if line.startswith("  FAIL ")]
    assert failures and all(line in log for line in failures)
    # Each failed check is a sentence with the measure, the rounded value and the limit, as in the CLI.
    assert "  FAIL mean of distance_km: " in log and ", expected 4.7 to 7.3" in log and "observed {" not in log
    # GX's import-time chatter is silenced, and the page is linked as served, not as a file path.
    assert "Skipping registering function" not in log
    assert f"Data Docs: {_docs_link(run, 'validate_data')}" in log and "Data Docs: file://" not in log


def test_clean_day_trains_validates_and_promotes(dag, airflow_db, demo_warehouse, settings):
    from training.model.registry import get_model, production_model

    run = dag.test(logical_date=_logical(dt.date(2026, 9, 13)))
    assert set(_states(run).values()) == {"success"}
    model_id = production_model(demo_warehouse, "trips_duration")
    model = get_model(demo_warehouse, model_id)
    assert model["trained_for"] == "2026-09-13"
    assert model["status"] == "production"
    assert model["metrics"]["holdout"]["mae"] > 0
    pages = list((settings.data_docs_dir / "validations" / "trips_model").rglob("*.html"))
    assert pages, "the model validation has a Data Docs page"
    assert _served_page(settings, _docs_link(run, "validate_model")).is_file()
    assert _served_page(settings, _docs_link(run, "validate_data")).is_file()


def test_rerun_of_a_logical_date_decides_the_same_without_duplicates(dag, airflow_db, demo_warehouse):
    import sqlalchemy as sa

    from training.model.registry import production_model

    def counts():
        with demo_warehouse.connect() as conn:
            return [
                conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                for t in ("trainguard_models", "trainguard_model_metrics")
            ]

    first = _states(dag.test(logical_date=_logical(dt.date(2026, 9, 13))))
    before, production = counts(), production_model(demo_warehouse, "trips_duration")
    second = _states(dag.test(logical_date=_logical(dt.date(2026, 9, 13))))
    assert first == second and set(first.values()) == {"success"}
    assert counts() == before
    assert production_model(demo_warehouse, "trips_duration") == production


def test_model_regression_stops_before_promotion(dag, airflow_db, demo_warehouse, settings):
    """Labels shuffled on the holdout day: every feature's distribution is unchanged, so the data
    checks pass, but the model's holdout error is far worse than the baseline."""
    from training.demo.generate import generate_day
    from training.model.registry import production_model
    from training.warehouse.writer import write_day

    day = dt.date(2026, 9, 14)
    clean = generate_day(day)
    shuffled = clean.assign(duration_min=clean["duration_min"].sample(frac=1.0, random_state=1).to_numpy())
    production = production_model(demo_warehouse, "trips_duration")
    write_day(demo_warehouse, "trips", "ds", day, shuffled)
    try:
        run = dag.test(logical_date=_logical(day))
    finally:
        write_day(demo_warehouse, "trips", "ds", day, clean)
    states = _states(run)
    assert states["validate_data"] == states["train_model"] == "success"
    assert states["validate_model"] == "failed"
    assert states["promote_model"] in ("upstream_failed", None)
    assert production_model(demo_warehouse, "trips_duration") == production
    assert _served_page(settings, _docs_link(run, "validate_model")).is_file()


def test_empty_day_fails_the_presence_check_and_the_gate_as_the_cli_does(dag, airflow_db, demo_warehouse, capfd):
    day = "2026-09-20"
    recorded = len(_recorded(demo_warehouse, "trips_daily", day))
    with _retried(dag.get_task("validate_data")):
        run = dag.test(logical_date=_logical(dt.date.fromisoformat(day)))
    log = _task_log(capfd.readouterr().out, run, "validate_data")
    states = _states(run)
    assert states["check_presence"] == "failed"
    assert states["check_volume"] == "failed"  # zero rows is not silently ignored
    assert states["train_model"] in ("upstream_failed", None)
    # The gate fails too, finally (no retry: the data will not change), recorded like the CLI's run.
    assert states["validate_data"] == "failed" and _tries(run, "validate_data") == 1
    rows = _recorded(demo_warehouse, "trips_daily", day)
    assert len(rows) == recorded + 1
    cli = run_cli("checkpoint", "run", "trips_daily", "--date", day)
    assert cli.returncode == 1, cli.stderr
    assert _recorded(demo_warehouse, "trips_daily", day)[:2] == [rows[0], rows[0]]
    assert rows[0]["success"] is False and rows[0]["batch_key"] == "ds"
    verdict = cli.stdout.splitlines()[0]
    assert verdict == f"trips_daily ds={day}: FAILED (no rows in table 'trips' where ds = '{day}')"
    assert f"[error    ] {verdict}" in log and f"CheckpointFailed: {verdict}" in log
    assert _xcom_result(run, "validate_data")["error"] == verdict.split("(", 1)[1].rstrip(")")


def test_unreachable_warehouse_fails_the_gate_as_retriable(dag, airflow_db, demo_warehouse, capfd):
    """A warehouse that cannot be reached is not a verdict on the data: the task is retried, and
    its log says why in one line, without GX's or the driver's traceback."""
    from training.core.settings import get_settings

    url = "postgresql+psycopg2://trainguard@127.0.0.1:1/warehouse"  # nothing listens on port 1
    with pytest.MonkeyPatch.context() as env, _retried(dag.get_task("validate_data")):
        env.setenv("TRAINGUARD_WAREHOUSE_URL", url)
        get_settings.cache_clear()
        try:
            run = dag.test(logical_date=_logical(dt.date(2026, 9, 13)), mark_success_pattern="check_.*|build_data_docs")
        finally:
            get_settings.cache_clear()
    log = _task_log(capfd.readouterr().out, run, "validate_data")
    assert _states(run)["validate_data"] == "failed" and _tries(run, "validate_data") == 2
    assert _states(run)["train_model"] in ("upstream_failed", None)
    message = f"cannot reach the warehouse {url}: "
    errors = [line for line in log.splitlines() if "[error    ]" in line and "Task failed" not in line]
    assert len(errors) == 2 and all(message in line for line in errors), log
    raised = [line for line in log.splitlines() if line.startswith("airflow.sdk.exceptions.AirflowException: ")]
    assert len(raised) == 2 and all(message in line for line in raised), log
    # (The line naming the host and the shared folders comes first in every task and names the
    # GX folder, which is called great_expectations: it is not GX talking.)
    told = "\n".join(line for line in log.splitlines() if "trainguard task on host" not in line)
    for noise in ("great_expectations", "sqlalchemy", "psycopg2.OperationalError", "direct cause", "During handling"):
        assert noise not in told, noise


@pytest.mark.parametrize(
    ("checkpoint", "batch_parameters", "message"),
    [
        ("trips_daily", {"day": "2026-09-13"}, "must be a dict with the single key 'ds'"),
        ("trips_daily", {"ds": "2026-09-13", "model_id": "m"}, "must be a dict with the single key 'ds'"),
        ("trips_daily", {"ds": ""}, "batch parameter 'ds' rendered empty"),
        ("no_such_checkpoint", {"ds": "2026-09-13"}, "unknown checkpoint 'no_such_checkpoint'"),
    ],
)
def test_configuration_errors_fail_without_retry_in_one_line(settings, checkpoint, batch_parameters, message):
    from airflow.sdk.exceptions import AirflowFailException

    from training.airflow.operators import TrainguardCheckpointOperator

    operator = TrainguardCheckpointOperator(
        task_id="validate", checkpoint_name=checkpoint, batch_parameters=batch_parameters
    )
    with pytest.raises(AirflowFailException, match=message) as raised:
        operator.execute({})
    assert "\n" not in str(raised.value) and raised.value.__suppress_context__


def test_a_day_with_only_warnings_trains_and_promotes(dag, airflow_db, demo_warehouse, settings, capfd):
    """A failed *warning* expectation is reported but does not stop the run: validate_data
    succeeds, the day is recorded as passed (with its failed count) and the model trains."""
    import json

    import sqlalchemy as sa

    from training.warehouse.tables import validations

    path = settings.gx_root / "expectations" / "trips_daily.json"
    original = path.read_text()
    suite = json.loads(original)
    suite["expectations"].append(
        {
            "type": "expect_column_max_to_be_between",
            "kwargs": {"column": "distance_km", "max_value": -1.0},
            "severity": "warning",
            "notes": "Always fails: a warning-only day.",
        }
    )
    path.write_text(json.dumps(suite))
    try:
        run = dag.test(logical_date=_logical(dt.date(2026, 9, 13)))
    finally:
        path.write_text(original)
    log = _task_log(capfd.readouterr().out, run, "validate_data")
    assert set(_states(run).values()) == {"success"}
    assert "[warning  ] trips_daily ds=2026-09-13: PASSED (0 of " in log
    assert "  WARN maximum of distance_km: " in log and ", expected at most -1" in log
    with demo_warehouse.connect() as conn:
        latest = conn.execute(
            sa.select(validations.c.success, validations.c.failed)
            .where(validations.c.checkpoint == "trips_daily", validations.c.batch_value == "2026-09-13")
            .order_by(validations.c.id.desc())
        ).first()
    assert latest.success is True and latest.failed >= 1
