"""One Airflow DAG per pipeline file, with the demo's task graph.

A run with logical date D validates and trains on day D-1 (the last complete day; with Airflow
3's ``@daily`` the data interval of a run is the instant D). Four gates run in parallel: the
common-sql checks (the day has rows, its volume is within ``volume_max_ratio`` of
``volume_days_back`` days earlier, every row has a label) and the pipeline's GX data
checkpoint. Then training, the model checkpoint and promotion; any failure stops what follows.
Both checkpoints run through trainguard's runner, as ``trainguard checkpoint run`` does (see
``operators.py``): a failed validation fails its task for good; an unreachable warehouse
fails it as retriable, so a task's ``retries`` apply (``default_args`` sets none).
Data Docs are rebuilt at the end whatever happened (a teardown, so the run's state is the
gates').

Building a DAG reads only the spec: no database, no GX, no scikit-learn at parse time.
"""

from __future__ import annotations

import pendulum
from airflow.providers.common.sql.operators.sql import SQLCheckOperator, SQLValueCheckOperator
from airflow.sdk import DAG, task, teardown

from training.airflow.operators import TrainguardCheckpointOperator
from training.airflow.sql_checks import DayIntervalCheckOperator
from training.model.pipeline_spec import PipelineSpec

# Rendered from the logical date only (never the wall clock). Inlined in SQL because the
# common-sql operators' placeholder style differs per database; a rendered date is safe, and
# table and column names were checked as plain identifiers when the pipeline file was read.
DAY = "{{ macros.ds_add(ds, -1) }}"


def build_dag(spec: PipelineSpec, conn_id: str, queue: str | None = None) -> DAG:
    """The daily gate DAG of ``spec``; SQL checks use the Airflow connection ``conn_id``. With a
    ``queue``, every task goes to that Celery queue (the workers that mount the GX folder and
    the model store); otherwise to Airflow's default queue."""
    options = spec.airflow
    reference_day = f"{{{{ macros.ds_add(ds, -{1 + options.volume_days_back}) }}}}"
    start = options.start_date
    with DAG(
        dag_id=spec.dag_id,
        schedule=options.schedule,
        start_date=pendulum.datetime(start.year, start.month, start.day, tz="UTC"),
        catchup=False,
        max_active_runs=1,
        # On the tasks themselves: with only [operators] default_queue set, Airflow 3.3 still
        # queued the task instances on "default" (seen with the CeleryExecutor).
        default_args={"retries": 0, **({"queue": queue} if queue else {})},
        tags=["trainguard", spec.pipeline],
        doc_md=f"{spec.description}\n\nPipeline file: `{spec.source}`.\n\n{__doc__}",
        params={"pipeline": spec.pipeline},
    ) as dag:
        check_presence = SQLCheckOperator(
            task_id="check_presence",
            conn_id=conn_id,
            sql=f"SELECT COUNT(*) FROM {spec.table} WHERE {spec.date_column} = '{DAY}'",
        )
        check_volume = DayIntervalCheckOperator(
            task_id="check_volume",
            conn_id=conn_id,
            table=spec.table,
            date_filter_column=spec.date_column,
            day=DAY,
            reference_day=reference_day,
            metrics_thresholds={"COUNT(*)": options.volume_max_ratio},
            ratio_formula="max_over_min",
        )
        check_labels = SQLValueCheckOperator(
            task_id="check_labels",
            conn_id=conn_id,
            sql=f"SELECT COUNT(*) FROM {spec.table} WHERE {spec.date_column} = '{DAY}' AND {spec.target} IS NULL",
            pass_value=0,
        )
        validate_data = TrainguardCheckpointOperator(
            task_id="validate_data",
            checkpoint_name=spec.data_checkpoint,
            batch_parameters={spec.date_column: DAY},
        )

        @task
        def train_model(pipeline: str, day: str) -> str:
            from training.airflow.tasks import train

            return train(pipeline, day)

        model_id = train_model(spec.pipeline, DAY)

        validate_model = TrainguardCheckpointOperator(
            task_id="validate_model",
            checkpoint_name=spec.model_checkpoint_name,
            batch_parameters={"model_id": "{{ ti.xcom_pull(task_ids='train_model') }}"},
            by_date=False,
        )

        @task
        def promote_model(pipeline: str, model_id: str) -> str:
            from training.airflow.tasks import promote

            return promote(pipeline, model_id)

        @teardown
        def build_data_docs() -> str:
            from training.airflow.tasks import build_docs

            return build_docs()

        promoted = promote_model(spec.pipeline, model_id)
        [check_presence, check_volume, check_labels, validate_data] >> model_id >> validate_model >> promoted
        [validate_data, validate_model, promoted] >> build_data_docs()
    return dag
