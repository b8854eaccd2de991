"""A suite whose expectations GX cannot load is refused loudly, and its file is left untouched."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import GX_ROOT, run_cli

pytestmark = pytest.mark.usefixtures("demo_warehouse")


def test_unregistered_expectation_type_stops_the_run_and_keeps_the_file(tmp_path):
    root = tmp_path / "gx"
    shutil.copytree(GX_ROOT, root, ignore=shutil.ignore_patterns("uncommitted"))
    suite_path = root / "expectations" / "trips_daily.json"
    suite = json.loads(suite_path.read_text())
    suite["expectations"].append(
        {"type": "expect_column_values_to_be_rainbow", "kwargs": {"column": "distance_km"}, "meta": {}}
    )
    suite_path.write_text(json.dumps(suite, indent=2))
    before = suite_path.read_bytes()

    proc = run_cli("checkpoint", "run", "trips_daily", "--date", "2026-09-05", env={"TRAINGUARD_GX_ROOT": str(root)})

    assert proc.returncode == 2, proc.stdout + proc.stderr[-2000:]
    assert "expect_column_values_to_be_rainbow" in proc.stderr
    assert "not registered" in proc.stderr
    assert suite_path.read_bytes() == before
    assert not list((root / "uncommitted").rglob("validations/trips_daily/**/*.json"))
