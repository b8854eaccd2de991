"""The README's Airflow walk-through, run command by command, in order, on a fresh copy of the
repository after the demo.

The blocks run are the fenced blocks that follow a ``<!-- walkthrough`` comment in README.md.
The copy holds the repository's files (tracked, and new ones git does not ignore) and uses this
session's virtualenv: its editable install points at this checkout, so ``PYTHONPATH`` and
``TRAINGUARD_HOME`` make the copy's own code and folders the ones used, as a fresh clone's own
install would. Nothing else of this process's environment is passed on: the commands get only
what the README tells a user to set.

``make demo`` takes about 3 minutes (4 real DAG runs). The fixture leaves the state of it that
the walk-through meets: the demo's days in the warehouse, and a migrated Airflow database (in
the project's ``var/airflow``) holding the DAG and a finished run for each of the demo's
logical dates, made by ``dag.test()`` as ``airflow dags test`` makes them, with the tasks marked
successful rather than run. ``TRAINGUARD_README_FULL_DEMO=1`` runs the real demo instead.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.airflow

MARKER = "<!-- walkthrough"
# Walk-through commands this test does not run, and why.
NOT_RUN = {
    "make demo": "the fixture leaves the demo's state (see the module docstring)",
    ".venv/bin/trainguard airflow standalone": (
        "runs until Ctrl-C (Airflow on :8080); tests/airflow/test_airflow_standalone.py starts and stops it"
    ),
}


def walkthrough_commands(readme: str) -> list[str]:
    """The commands of the marked blocks in order: one per line, backslash continuations joined,
    blank and comment-only lines skipped (bash drops trailing comments itself)."""
    commands: list[str] = []
    lines = readme.splitlines()
    for i, line in enumerate(lines):
        if not line.strip().startswith(MARKER):
            continue
        start = next(j for j in range(i + 1, len(lines)) if lines[j].strip())
        assert lines[start].startswith("```"), f"README line {i + 1}: a walkthrough marker must precede a code block"
        end = next(j for j in range(start + 1, len(lines)) if lines[j].startswith("```"))
        pending = ""
        for text in lines[start + 1 : end]:
            if text.rstrip().endswith("\\"):
                pending += text.rstrip()[:-1] + " "
                continue
            command = (pending + text).strip()
            pending = ""
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


def _not_run(command: str) -> bool:
    return command.split("#")[0].strip() in NOT_RUN


def _copy_repository(target: Path) -> None:
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():  # a tracked file deleted in the working tree is not copied
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / ".venv").symlink_to(Path(sys.executable).parent.parent)


# The demo's state, from the demo's own constants so that it follows the demo.
DEMO_STATE = """
import datetime as dt
from airflow.dag_processing.dagbag import DagBag
from airflow.utils import db
from training.core.settings import get_settings
from training.demo.run import DAG_ID, FIRST_DAY, LOGICAL_DATES, SKEWS
from training.demo.seed import seed_demo
from training.warehouse.engine import get_engine

seed_demo(get_engine(get_settings().warehouse_url), FIRST_DAY, LOGICAL_DATES[-1] - dt.timedelta(days=1), SKEWS)
db.upgradedb()  # what `airflow db migrate` does
dag = DagBag().get_dag(DAG_ID)
for day in LOGICAL_DATES:
    dag.test(logical_date=dt.datetime.combine(day, dt.time(), dt.UTC), mark_success_pattern=".*")
"""


def _bash(script: str, cwd: Path, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def after_demo(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A fresh copy of the repository after the demo, and the environment a user's shell has."""
    root = tmp_path_factory.mktemp("clone") / "trainguard"
    home = root.parent / "home"
    home.mkdir()
    _copy_repository(root)
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(root),
        "TRAINGUARD_HOME": str(root),
    }
    if os.environ.get("TRAINGUARD_README_FULL_DEMO") == "1":
        script = ".venv/bin/trainguard demo run"
    else:
        script = f"set -e; eval \"$(.venv/bin/trainguard airflow env)\"\n.venv/bin/python - <<'EOF'\n{DEMO_STATE}\nEOF"
    done = _bash(script, root, env, timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    return root, env


def test_the_readme_marks_its_walkthrough():
    commands = walkthrough_commands((REPO / "README.md").read_text(encoding="utf-8"))
    assert any(c.startswith("airflow dags trigger") for c in commands), commands
    stale = [c for c in NOT_RUN if not any(command.split("#")[0].strip() == c for command in commands)]
    assert not stale, f"NOT_RUN lists commands the README no longer shows: {stale}"


def _steps(output: str) -> list[tuple[int, int, str]]:
    """(step, exit code, output) of each command, from the markers the script prints."""
    found = re.findall(r"@@step (\d+)@@\n(.*?)\n@@rc \1 (\d+)@@", output, re.DOTALL)
    return [(int(step), int(code), text) for step, text, code in found]


def test_the_walkthrough_runs_in_order_after_the_demo(after_demo):
    root, env = after_demo
    commands = [c for c in walkthrough_commands((root / "README.md").read_text(encoding="utf-8")) if not _not_run(c)]
    # One shell for all, as a user's: `eval` and `export` lines change what the next ones see.
    script = "exec 2>&1; set -o pipefail\n" + "".join(
        f"printf '\\n@@step {i}@@\\n'\n{command}\nprintf '\\n@@rc {i} %s@@\\n' \"$?\"\n"
        for i, command in enumerate(commands)
    )
    proc = _bash(script, root, env)
    steps = _steps(proc.stdout)
    for step, code, text in steps:
        assert code == 0 and "Traceback" not in text, f"README command failed: {commands[step]}\n{text[-3000:]}"
    assert [s[0] for s in steps] == list(range(len(commands))), proc.stdout[-3000:]

    # What they did, in the project's own Airflow home (where `eval` pointed airflow): the DAG
    # is unpaused, the triggered run is queued beside the demo's, and its day has data.
    trigger = next(c for c in commands if c.startswith("airflow dags trigger"))
    logical = re.search(r"-l (\d{4}-\d{2}-\d{2})", trigger).group(1)
    with sqlite3.connect(root / "var" / "airflow" / "airflow.db") as conn:
        assert conn.execute("SELECT is_paused FROM dag WHERE dag_id = 'trainguard_demo'").fetchone() == (0,)
        runs = dict(conn.execute("SELECT substr(logical_date, 1, 10), state FROM dag_run"))
    assert runs[logical] == "queued", runs
    assert len(runs) > 1, runs  # the demo's runs are there too: the trigger did not collide with them
    day = (dt.date.fromisoformat(logical) - dt.timedelta(days=1)).isoformat()
    with sqlite3.connect(root / "var" / "warehouse.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM trips WHERE ds = ?", (day,)).fetchone()[0] > 0
