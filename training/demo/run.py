"""The end-to-end demo: seed the warehouse, validate a reference window, then run the real
Airflow DAG (``airflow dags test``) for several consecutive days, one of them skewed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from training.core.settings import Settings, airflow_env, get_settings
from training.demo.generate import Skew
from training.demo.seed import seed_demo
from training.demo.spec import DEMO_SPEC
from training.gx.results import CRITICAL, ExpectationOutcome
from training.gx.run import run_checkpoint
from training.gx.summary import format_failure
from training.model.registry import production_model
from training.warehouse.engine import get_engine, masked_url
from training.warehouse.tables import validations

DAG_ID = "trainguard_demo"
FIRST_DAY = dt.date(2026, 9, 1)
SKEWED_DAY = dt.date(2026, 9, 12)
SKEWS = (Skew(SKEWED_DAY, "mean_shift", "distance_km"),)
# Runs with these logical dates validate the day before: 09-10 .. 09-13, the skewed 09-12 included.
LOGICAL_DATES = [dt.date(2026, 9, 11) + dt.timedelta(days=i) for i in range(4)]


# How many failed expectations of a blocking gate the summary lists.
TOP_FAILURES = 3


@dataclass(frozen=True)
class Blocked:
    """The gate that stopped a run, as its validation recorded it."""

    task: str  # the DAG's task: validate_data or validate_model
    checkpoint: str
    batch_value: str
    failed: int
    evaluated: int
    failures: list[str] = field(default_factory=list)  # the top failed expectations, as sentences
    docs_page: str | None = None


@dataclass(frozen=True)
class DemoRun:
    logical_date: dt.date
    validated_day: dt.date
    succeeded: bool
    production: str | None
    blocked: Blocked | None = None
    failed_tasks: tuple[str, ...] = ()  # what the DAG run's output says failed

    @property
    def as_expected(self) -> bool:
        return self.succeeded == (self.validated_day not in {s.day for s in SKEWS})


def last_validation_id(engine: sa.Engine) -> int:
    """The newest recorded validation (0 for none): what a DAG run records comes after it."""
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.max(validations.c.id))).scalar() or 0)


def _stored_failures(settings: Settings, docs_page: str | None) -> list[str]:
    """The failed critical expectations of the validation behind ``docs_page``, worded as the
    CLI words them. GX stores each result beside its page: ``uncommitted/validations/<suite>/
    <run>/<time>/<batch>.json`` for ``local_site/validations/<same>.html``."""
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResultSchema

    if not docs_page:
        return []
    page = Path(docs_page.removeprefix("file://").split("#")[0])
    try:
        relative = page.relative_to(settings.data_docs_dir)
    except ValueError:
        return []
    stored = (settings.gx_root / "uncommitted" / relative).with_suffix(".json")
    try:
        result = ExpectationSuiteValidationResultSchema().load(json.loads(stored.read_text()))
    except (OSError, ValueError):
        return []
    outcomes = [ExpectationOutcome.from_gx(r) for r in result.results if not r.success]
    return [format_failure(o).strip() for o in outcomes if o.severity == CRITICAL]


def blocked_by(settings: Settings, engine: sa.Engine, after_id: int) -> Blocked | None:
    """The first failed gate validation recorded after ``after_id`` (a DAG run validates the
    day, then its model), with its top failed expectations; None if no gate failed (another
    task stopped the run)."""
    tasks = {DEMO_SPEC.data_checkpoint: "validate_data", DEMO_SPEC.model_checkpoint_name: "validate_model"}
    query = (
        sa.select(validations)
        .where(validations.c.id > after_id, validations.c.success.is_(False), validations.c.checkpoint.in_(tasks))
        .order_by(validations.c.id)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    failures = _stored_failures(settings, row.docs_page)
    return Blocked(
        task=tasks[row.checkpoint],
        checkpoint=row.checkpoint,
        batch_value=row.batch_value,
        # The row counts failed warnings too; the stored result tells the blocking ones apart.
        failed=len(failures) or row.failed,
        evaluated=row.evaluated,
        failures=failures,
        docs_page=row.docs_page,
    )


_TASK_STARTS = re.compile(r"\[DAG TEST\] starting task_id=(\S+)")


def failed_tasks(output: str) -> list[str]:
    """The tasks that failed in what ``airflow dags test`` printed, in order: each task's lines
    run from its "[DAG TEST] starting task_id=..." line, and a failed one records
    ``new_state=failed``. Names a gate that records nothing (the SQL checks)."""
    failed: list[str] = []
    current = None
    for line in output.splitlines():
        started = _TASK_STARTS.search(line)
        if started:
            current = started.group(1)
        elif current and "new_state=failed" in line and current not in failed:
            failed.append(current)
    return failed


def format_run(run: DemoRun, log: Path | None = None) -> str:
    """The summary of one DAG run; a blocked run names its gate and top failed expectations."""
    head = f"    logical date {run.logical_date}: day {run.validated_day} "
    tail = f"; production model: {run.production}"
    if run.succeeded:
        return f"{head}trained, validated and promoted{tail}"
    found = run.blocked
    if found is None:
        tasks = ", ".join(run.failed_tasks) or "a failed task"
        where = f"; see {log}" if log else ""
        return f"{head}BLOCKED by {tasks} (no failed validation recorded){where}{tail}"
    what = f"{found.failed} of {found.evaluated} expectations failed" if found.evaluated else "no rows to validate"
    others = [t for t in run.failed_tasks if t != found.task]
    also = f"; also failed: {', '.join(others)}" if others else ""
    lines = [f"{head}BLOCKED by {found.task} (checkpoint {found.checkpoint}, {found.batch_value}: {what}){also}{tail}"]
    lines += [f"      {line}" for line in found.failures[:TOP_FAILURES]]
    if len(found.failures) > TOP_FAILURES:
        lines.append(f"      and {len(found.failures) - TOP_FAILURES} more failed expectations")
    if found.docs_page:
        lines.append(f"      Data Docs: {found.docs_page}")
    return "\n".join(lines)


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
        before, logged = last_validation_id(engine), log.stat().st_size
        code = _airflow(["dags", "test", DAG_ID, logical.isoformat()], settings, log)
        blocked = None if code == 0 else blocked_by(settings, engine, before)
        with log.open(errors="replace") as output:
            output.seek(logged)
            failed = () if code == 0 else tuple(failed_tasks(output.read()))
        production = production_model(engine, DEMO_SPEC.pipeline)
        run = DemoRun(logical, logical - dt.timedelta(days=1), code == 0, production, blocked, failed)
        runs.append(run)
        print(format_run(run, log), flush=True)
    index = settings.data_docs_dir / "index.html"
    print(f"4/4 Data Docs: {index}  (browse with: trainguard docs serve)")
    ok = all(r.as_expected for r in runs)
    print("demo finished as designed" if ok else "demo did NOT behave as designed; see the log above")
    return ok
