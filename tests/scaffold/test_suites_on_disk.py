"""Suites load from disk in a fresh process with every expectation, custom ones included, and a
save does not drop anything."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import GX_ROOT

SUITES = sorted(p.stem for p in (GX_ROOT / "expectations").glob("*.json"))

LOAD = """
import json, sys
from training.extensions import open_context
ctx = open_context()
suite = ctx.suites.get(sys.argv[1])
if sys.argv[2] == "save":
    suite.save()
print(json.dumps(sorted(e.expectation_type for e in suite.expectations)))
"""


def _on_disk(name: str) -> list[str]:
    return sorted(
        e["type"] for e in json.loads((GX_ROOT / "expectations" / f"{name}.json").read_text())["expectations"]
    )


@pytest.mark.parametrize("name", SUITES)
def test_suite_loads_with_all_expectations_in_a_fresh_process(name):
    proc = subprocess.run(
        [sys.executable, "-c", LOAD, name, "load"], capture_output=True, text=True, env=os.environ, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == _on_disk(name)


def test_saving_a_suite_with_custom_expectations_keeps_them():
    before = _on_disk("trips_model")
    assert {
        "expect_model_metric_to_be_within_baseline",
        "expect_model_metric_to_be_within_production",
        "expect_model_metric_not_to_trend_worse",
        "expect_model_slices_to_be_consistent",
        "expect_model_metadata_to_be_stable",
        "expect_model_top_features_to_be_stable",
    } <= set(before)
    proc = subprocess.run(
        [sys.executable, "-c", LOAD, "trips_model", "save"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert _on_disk("trips_model") == before


def test_demo_suite_covers_schema_and_value_skew():
    types = set(_on_disk("trips_daily"))
    assert {
        "expect_table_columns_to_match_set",
        "expect_table_row_count_to_be_between",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_be_between",
        "expect_column_mean_to_be_between",
        "expect_column_stdev_to_be_between",
    } <= types
