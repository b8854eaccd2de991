"""Daily gate for the demo trips model: check data, train, check the model, promote.

A run with logical date D validates and trains on day D-1 (the last complete day; with
Airflow 3's ``@daily`` the data interval of a run is the instant D, not the day before it).
Reruns and backfills of D therefore always look at the same day.

Before training, four gates run in parallel: Airflow's common-sql checks (the day has rows,
its volume is within 1.5x of the same weekday a week earlier, every row has a label) and the
GX checkpoint ``trips_daily``. Any failure stops training and promotion. Data Docs are rebuilt
at the end whatever happened (a teardown task, so it does not change the run's outcome).
"""

from __future__ import annotations

import pendulum
from airflow.providers.common.sql.operators.sql import SQLCheckOperator, SQLValueCheckOperator
from airflow.sdk import DAG, task, teardown

from training.airflow.operators import TrainguardCheckpointOperator
from training.airflow.sql_checks import DayIntervalCheckOperator
from training.settings import get_settings

# Rendered from the logical date only (never the wall clock); inlined in SQL because the
# common-sql operators' placeholder style differs per database, and a rendered date is safe.
DAY = "{{ macros.ds_add(ds, -1) }}"
WEEK_BEFORE = "{{ macros.ds_add(ds, -8) }}"
WAREHOUSE = get_settings().airflow_conn_id

with DAG(
    dag_id="trainguard_demo",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 9, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 0},
    tags=["trainguard", "demo"],
    doc_md=__doc__,
) as dag:
    check_presence = SQLCheckOperator(
        task_id="check_presence",
        conn_id=WAREHOUSE,
        sql=f"SELECT COUNT(*) FROM trips WHERE ds = '{DAY}'",
    )
    check_volume = DayIntervalCheckOperator(
        task_id="check_volume",
        conn_id=WAREHOUSE,
        table="trips",
        date_filter_column="ds",
        day=DAY,
        reference_day=WEEK_BEFORE,
        metrics_thresholds={"COUNT(*)": 1.5},
        ratio_formula="max_over_min",
    )
    check_labels = SQLValueCheckOperator(
        task_id="check_labels",
        conn_id=WAREHOUSE,
        sql=f"SELECT COUNT(*) FROM trips WHERE ds = '{DAY}' AND duration_min IS NULL",
        pass_value=0,
    )
    validate_data = TrainguardCheckpointOperator(
        task_id="validate_data",
        checkpoint_name="trips_daily",
        batch_parameters={"ds": DAY},
    )

    @task
    def train_model(day: str) -> str:
        from training.airflow.tasks import train

        return train(day)

    model_id = train_model(DAY)

    validate_model = TrainguardCheckpointOperator(
        task_id="validate_model",
        checkpoint_name="trips_model",
        batch_parameters={"model_id": "{{ ti.xcom_pull(task_ids='train_model') }}"},
    )

    @task
    def promote_model(model_id: str) -> str:
        from training.airflow.tasks import promote

        return promote(model_id)

    @teardown
    def build_data_docs() -> str:
        from training.airflow.tasks import build_docs

        return build_docs()

    promoted = promote_model(model_id)
    [check_presence, check_volume, check_labels, validate_data] >> model_id >> validate_model >> promoted
    [validate_data, validate_model, promoted] >> build_data_docs()
