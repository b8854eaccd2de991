"""Airflow pieces used by ``dags/``: operators and task callables. Importing this is cheap."""
