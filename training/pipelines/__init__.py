"""Declarative training pipelines: one YAML file per pipeline, run by the CLI and by Airflow."""
