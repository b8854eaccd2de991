"""Daily gate for the demo trips model: validate data, train, validate model, promote.

A run with logical date D validates and trains on day D-1 (the last complete day; with
Airflow 3's ``@daily`` the data interval of a run is the instant D, not the day before it).
Reruns and backfills of D therefore always look at the same day.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, task

from training.airflow.operators import TrainguardCheckpointOperator

VALIDATED_DAY = "{{ macros.ds_add(ds, -1) }}"

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
    validate_data = TrainguardCheckpointOperator(
        task_id="validate_data",
        checkpoint_name="trips_daily",
        batch_parameters={"ds": VALIDATED_DAY},
    )

    @task
    def train_model(day: str) -> str:
        from training.airflow.tasks import train

        return train(day)

    model_id = train_model(VALIDATED_DAY)

    validate_model = TrainguardCheckpointOperator(
        task_id="validate_model",
        checkpoint_name="trips_model",
        batch_parameters={"model_id": "{{ ti.xcom_pull(task_ids='train_model') }}"},
    )

    @task
    def promote_model(model_id: str) -> str:
        from training.airflow.tasks import promote

        return promote(model_id)

    validate_data >> model_id >> validate_model >> promote_model(model_id)
