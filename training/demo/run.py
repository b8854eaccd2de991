"""The end-to-end demo: seed the warehouse, validate a reference window, then run the real
Airflow DAG (``airflow dags test``) for several consecutive days, one of them skewed.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from training.core.settings import Settings, airflow_env, get_settings
from training.demo.generate import Skew
from training.demo.seed import seed_demo
from training.demo.spec import DEMO_SPEC
from training.gx.run import run_checkpoint
from training.model.registry import production_model
from training.warehouse.engine import get_engine, masked_url

DAG_ID = "trainguard_demo"
FIRST_DAY = dt.date(2026, 9, 1)
SKEWED_DAY = dt.date(2026, 9, 12)
SKEWS = (Skew(SKEWED_DAY, "mean_shift", "distance_km"),)
# Runs with these logical dates validate the day before: 09-10 .. 09-13, the skewed 09-12 included.
LOGICAL_DATES = [dt.date(2026, 9, 11) + dt.timedelta(days=i) for i in range(4)]


@dataclass(frozen=True)
class DemoRun:
    logical_date: dt.date
    validated_day: dt.date
    succeeded: bool
    production: str | None

    @property
    def as_expected(self) -> bool:
        return self.succeeded == (self.validated_day not in {s.day for s in SKEWS})


def _airflow(args: list[str], settings: Settings, log: Path) -> int:
    airflow = Path(sys.executable).with_name("airflow")
    with log.open("a") as out:
        return subprocess.run(
            [str(airflow), *args], env=airflow_env(settings), stdout=out, stderr=subprocess.STDOUT, check=False
        ).returncode


def run_demo(settings: Settings | None = None) -> bool:
    """Run the demo and print what happened; True when every run ended as designed."""
    settings = settings or get_settings()
    engine = get_engine(settings.warehouse_url)
    last_day = LOGICAL_DATES[-1] - dt.timedelta(days=1)
    written = seed_demo(engine, FIRST_DAY, last_day, SKEWS)
    where = masked_url(settings.warehouse_url)
    print(f"1/4 seeded {sum(written.values())} trips over {len(written)} days into {where}")
    reference_end = LOGICAL_DATES[0] - dt.timedelta(days=2)
    reference = [(FIRST_DAY + dt.timedelta(days=i)).isoformat() for i in range((reference_end - FIRST_DAY).days + 1)]
    history = run_checkpoint(DEMO_SPEC.data_checkpoint, reference, settings=settings)
    print(
        f"2/4 validated the reference days {reference[0]}..{reference[-1]}: "
        f"{sum(r.success for r in history.results)} of {len(reference)} passed"
    )
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    log = settings.airflow_home / "demo.log"
    log.write_text("")
    if _airflow(["db", "migrate"], settings, log) != 0:
        print(f"airflow db migrate failed; see {log}")
        return False
    print(f"3/4 running the Airflow DAG {DAG_ID} (log: {log})")
    runs = []
    for logical in LOGICAL_DATES:
        code = _airflow(["dags", "test", DAG_ID, logical.isoformat()], settings, log)
        run = DemoRun(logical, logical - dt.timedelta(days=1), code == 0, production_model(engine, DEMO_SPEC.pipeline))
        runs.append(run)
        verdict = "trained, validated and promoted" if run.succeeded else "BLOCKED by a failed check"
        print(f"    logical date {logical}: day {run.validated_day} {verdict}; production model: {run.production}")
    index = settings.data_docs_dir / "index.html"
    print(f"4/4 Data Docs: {index}  (browse with: trainguard docs serve)")
    ok = all(r.as_expected for r in runs)
    print("demo finished as designed" if ok else "demo did NOT behave as designed; see the log above")
    return ok
