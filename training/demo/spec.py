"""The demo pipeline, read from its file like any other: ``pipelines/trips_duration.yaml``."""

from __future__ import annotations

from training.core.settings import PROJECT_ROOT
from training.pipelines.config import load_pipeline

DEMO_PIPELINE_FILE = PROJECT_ROOT / "pipelines" / "trips_duration.yaml"
DEMO_SPEC = load_pipeline(DEMO_PIPELINE_FILE)
