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
        f"runpy.run_path({str(REPO / 'dags' / 'trainguard_demo.py')!r}); "
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
        "validate_data": ["train_model"],
        "train_model": ["promote_model", "validate_model"],
        "validate_model": ["promote_model"],
        "promote_model": [],
    }
    validate = dag.get_task("validate_data")
    assert "batch_parameters" in validate.template_fields
    assert validate.batch_parameters == {"ds": "{{ macros.ds_add(ds, -1) }}"}


def _states(dag_run) -> dict[str, str | None]:
    return {ti.task_id: (str(ti.state) if ti.state else None) for ti in dag_run.get_task_instances()}


def _logical(day: dt.date) -> dt.datetime:
    # A run validates the day before its logical date.
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def test_skewed_day_stops_before_training(dag, airflow_db, demo_warehouse, settings):
    from training.model.registry import list_models

    before = len(list_models(demo_warehouse))
    run = dag.test(logical_date=_logical(SKEWED_DAY))
    states = _states(run)
    assert states["validate_data"] == "failed"
    assert states["train_model"] in ("upstream_failed", None)
    assert states["promote_model"] in ("upstream_failed", None)
    assert len(list_models(demo_warehouse)) == before


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
