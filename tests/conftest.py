"""Test setup: every test session gets its own warehouse, GX project copy, model store and
Airflow home in a temporary folder. The environment is set here, at import time, because
Airflow reads its configuration when first imported."""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
# The two test workers share two cores: one OpenMP thread each (scikit-learn's gradient boosting
# otherwise starts a thread per core in each worker, and four threads fight for two cores).
os.environ.setdefault("OMP_NUM_THREADS", "1")
# pytest imports this file as ``conftest`` and test modules import it again as
# ``tests.conftest``: the second import must reuse the session's folder, not make a new one.
if os.environ.get("TRAINGUARD_TEST_SESSION_PID") == str(os.getpid()):
    BASE = Path(os.environ["TRAINGUARD_TEST_BASE"])
else:
    BASE = Path(tempfile.mkdtemp(prefix="trainguard-tests-"))
    os.environ.update({"TRAINGUARD_TEST_BASE": str(BASE), "TRAINGUARD_TEST_SESSION_PID": str(os.getpid())})
    atexit.register(shutil.rmtree, BASE, ignore_errors=True)
    shutil.copytree(
        REPO / "great_expectations", BASE / "great_expectations", ignore=shutil.ignore_patterns("uncommitted")
    )

GX_ROOT = BASE / "great_expectations"

os.environ.update(
    {
        "TRAINGUARD_HOME": str(REPO),
        "TRAINGUARD_VAR_DIR": str(BASE / "var"),
        "TRAINGUARD_GX_ROOT": str(GX_ROOT),
        "AIRFLOW_HOME": str(BASE / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{BASE / 'airflow' / 'airflow.db'}",
    }
)
os.environ.pop("TRAINGUARD_WAREHOUSE_URL", None)
# The DAG's SQL check operators reach the warehouse through this Airflow connection.
os.environ["AIRFLOW_CONN_TRAINGUARD_WAREHOUSE"] = json.dumps(
    {"conn_type": "sqlite", "host": str(BASE / "var" / "warehouse.db")}
)

# The demo's days: 09-01..09-14, with a 3-sigma mean shift of distance_km on 09-12.
FIRST_DAY = dt.date(2026, 9, 1)
LAST_DAY = dt.date(2026, 9, 14)
SKEWED_DAY = dt.date(2026, 9, 12)
REFERENCE_DAYS = [(FIRST_DAY + dt.timedelta(days=i)).isoformat() for i in range(9)]

REQUIRE_SERVICES = os.environ.get("TRAINGUARD_REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip locally when a service is missing; fail in CI (TRAINGUARD_REQUIRE_SERVICES=1)."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (required because TRAINGUARD_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def settings():
    from training.core.settings import get_settings

    get_settings.cache_clear()
    return get_settings()


@pytest.fixture(scope="session")
def demo_warehouse(settings):
    """The seeded demo table with its reference days validated (so training has history)."""
    from training.demo.generate import Skew
    from training.demo.seed import seed_demo
    from training.gx.run import run_checkpoint
    from training.warehouse.engine import get_engine

    engine = get_engine(settings.warehouse_url)
    seed_demo(engine, FIRST_DAY, LAST_DAY, [Skew(SKEWED_DAY, "mean_shift", "distance_km")])
    run = run_checkpoint("trips_daily", REFERENCE_DAYS, settings=settings)
    assert run.success, [r.failures for r in run.results if not r.success]
    return engine


def one_line(stderr: str) -> str:
    """The single line a failed command printed on stderr (asserting there is one, no traceback)."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr[-3000:]
    assert "Traceback" not in stderr
    return lines[0]


def folder_digest(folder: Path) -> dict[str, str]:
    """Every entry below ``folder``: file bytes, symlink targets, folders."""
    out = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        if path.is_symlink():
            out[key] = "-> " + os.readlink(path)
        elif path.is_dir():
            out[key] = "dir"
        else:
            out[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run the installed ``trainguard`` console script in a fresh process."""
    exe = Path(sys.executable).with_name("trainguard")
    return subprocess.run(
        [str(exe), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )


def make_project(base: Path, warehouse_url: str | None = None) -> tuple[Any, dict[str, str]]:
    """A private GX project copy and warehouse under ``base``: (settings, env for the CLI)."""
    from training.core.settings import load_settings

    gx_root = base / "great_expectations"
    shutil.copytree(REPO / "great_expectations", gx_root, ignore=shutil.ignore_patterns("uncommitted"))
    env = {
        "TRAINGUARD_GX_ROOT": str(gx_root),
        "TRAINGUARD_WAREHOUSE_URL": warehouse_url or f"sqlite:///{base / 'warehouse.db'}",
        "TRAINGUARD_VAR_DIR": str(base / "var"),
    }
    return load_settings({**os.environ, **env}), env


POSTGRES_SERVER = "postgresql+psycopg2://postgres@127.0.0.1:5432"


@contextlib.contextmanager
def postgres_database(prefix: str = "trainguard_test"):
    """A fresh database on the local PostgreSQL server (dropped afterwards); yields its URL.
    Skips locally, fails in CI, when the server is not reachable."""
    import sqlalchemy as sa

    admin = sa.create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        skip_or_fail(f"PostgreSQL is not reachable on 127.0.0.1:5432: {exc.orig}")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def statements_sent():
    """Every SQL statement sent by any engine within the block, whitespace collapsed."""
    import sqlalchemy as sa

    sent: list[str] = []

    def seen(conn, cursor, statement, *args):
        sent.append(" ".join(statement.split()))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", seen)
