"""One DAG per pipeline file in ``pipelines/`` (``TRAINGUARD_PIPELINES_DIR``).

Parsing reads the YAML files only: no database, GX or scikit-learn. A malformed file is
skipped with a warning that Airflow shows for this DAG file, so one bad pipeline does not take
the others down; ``trainguard pipeline list`` prints the same error.
"""

from __future__ import annotations

import warnings

from training.airflow.pipeline_dag import build_dag
from training.core.settings import get_settings
from training.pipelines.config import discover

_settings = get_settings()
for _file in discover(_settings.pipelines_dir):
    if _file.spec is None:
        warnings.warn(f"pipeline skipped: {_file.error}", stacklevel=1)
        continue
    _dag = build_dag(_file.spec, _settings.airflow_conn_id, _settings.airflow_queue)
    globals()[_dag.dag_id] = _dag
