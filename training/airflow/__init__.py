"""Airflow operators, tasks and DAG building for trainguard's pipelines."""
