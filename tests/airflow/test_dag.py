"""The real Airflow DAG: it parses cleanly and gates training on the validated day."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, SKEWED_DAY

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
    return settings.data_docs_dir / url.removeprefix("http://127.0.0.1:8765/")


def test_skewed_day_stops_before_training(dag, airflow_db, demo_warehouse, settings):
    from training.model.registry import list_models

    before = len(list_models(demo_warehouse))
    run = dag.test(logical_date=_logical(SKEWED_DAY))
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


def test_empty_day_fails_the_presence_check(dag, airflow_db, demo_warehouse):
    run = dag.test(logical_date=_logical(dt.date(2026, 9, 20)))
    states = _states(run)
    assert states["check_presence"] == "failed"
    assert states["check_volume"] == "failed"  # zero rows is not silently ignored
    assert states["train_model"] in ("upstream_failed", None)


def test_a_day_with_only_warnings_trains_and_promotes(dag, airflow_db, demo_warehouse, settings):
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
    assert set(_states(run).values()) == {"success"}
    with demo_warehouse.connect() as conn:
        latest = conn.execute(
            sa.select(validations.c.success, validations.c.failed)
            .where(validations.c.checkpoint == "trips_daily", validations.c.batch_value == "2026-09-13")
            .order_by(validations.c.id.desc())
        ).first()
    assert latest.success is True and latest.failed >= 1
