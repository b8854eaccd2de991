"""A Data Docs site that cannot be updated (a real failure: an unwritable folder) never changes
a validation's verdict or its record: `trainguard checkpoint run` exits with the verdict, stores
and records the validation, and says in one line that the site was not updated and how to
repair it."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import make_project, run_cli

HINT = "; run `trainguard docs build`"


@pytest.fixture
def project(tmp_path):
    from training.demo.generate import Skew
    from training.demo.seed import seed_demo
    from training.warehouse.engine import get_engine

    settings, env = make_project(tmp_path)
    engine = get_engine(settings.warehouse_url)
    skew = Skew(dt.date(2026, 9, 3), "mean_shift", "distance_km")
    seed_demo(engine, dt.date(2026, 9, 1), dt.date(2026, 9, 3), [skew])
    return settings, env, engine


def _recorded(engine: sa.Engine) -> dict[str, bool]:
    from training.warehouse.tables import validations

    with engine.connect() as conn:
        return {r.batch_value: bool(r.success) for r in conn.execute(sa.select(validations))}


def _stored(settings) -> int:
    return len(list((settings.gx_root / "uncommitted" / "validations").rglob("*.json")))


@contextlib.contextmanager
def unwritable(folder: Path) -> Iterator[None]:
    """``folder`` exists and nothing can be created in it: mode 0555, or for root (whom modes do
    not stop) the immutable attribute; skipped where neither restricts."""
    folder.mkdir(parents=True)
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("running as root, where chmod does not restrict, and chattr +i is not available here")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(folder)], check=True)


def test_an_unwritable_site_is_reported_and_the_day_still_passes(project):
    settings, env, engine = project
    site = settings.data_docs_dir
    with unwritable(site):
        proc = run_cli("checkpoint", "run", "trips_daily", "--date", "2026-09-02", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    assert "trips_daily ds=2026-09-02: PASSED" in proc.stdout
    lines = [line for line in proc.stdout.splitlines() if line.startswith("Data Docs not updated: ")]
    assert len(lines) == 1 and lines[0].endswith(HINT), proc.stdout
    assert re.search(r"(Permission denied|Operation not permitted): " + re.escape(str(site)), lines[0]), lines[0]
    assert "Traceback" not in proc.stderr
    assert _recorded(engine) == {"2026-09-02": True} and _stored(settings) == 1


def test_a_range_run_reports_the_site_in_its_json_and_exits_with_the_verdict(project):
    settings, env, engine = project
    site = settings.data_docs_dir
    with unwritable(site):
        proc = run_cli(
            "checkpoint", "run", "trips_daily", "--from", "2026-09-02", "--to", "2026-09-03", "--json", env=env
        )
    assert proc.returncode == 1, proc.stderr[-2000:]  # 09-03 is skewed: the verdict, not the site
    out = json.loads(proc.stdout)
    assert [(r["batch_value"], r["success"]) for r in out["results"]] == [("2026-09-02", True), ("2026-09-03", False)]
    assert str(site) in out["docs_error"] and all(str(site) in r["docs_error"] for r in out["results"])
    assert proc.stderr.strip().splitlines()[-1] == f"Data Docs not updated: {out['docs_error']}{HINT}"
    assert _recorded(engine) == {"2026-09-02": True, "2026-09-03": False} and _stored(settings) == 2
    from training.docs_site.build import build_docs

    build_docs(settings)  # as the line says, a build repairs the site
    assert len(list((site / "validations").rglob("*.html"))) == 2
