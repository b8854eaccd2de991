"""How fast and how lean is ``trainguard data load`` on one big day? Prints one table.

    .venv/bin/python benchmarks/load_speed.py                       # 1M and 10M rows (about 5 min)
    .venv/bin/python benchmarks/load_speed.py --rows 1000000        # a quick look

For each size it writes a CSV of one day (16 columns: the date, 5 floats, 5 integers, 4 texts,
a boolean; 10M rows are about 730 MB) and, in a fresh PostgreSQL database each, measures in
the same run:
  (a) the floor: a plain ``COPY ... FROM STDIN (FORMAT csv)`` of the file into a table created
      by hand with the right types, then the date index (``psql``-like, through psycopg2);
  (b) ``trainguard data load`` of the same file, as a user runs it (its own process), with its
      peak resident memory (its ``ru_maxrss``).
Nothing here is part of the test run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

PG_SERVER = "postgresql+psycopg2://postgres@127.0.0.1:5432"
COLUMNS = ["ds"] + [f"f{i}" for i in range(5)] + [f"i{i}" for i in range(5)] + [f"s{i}" for i in range(4)] + ["flag"]


def write_csv(path: Path, rows: int, chunk: int = 1_000_000) -> None:
    """One day of ``rows`` rows, written in chunks (the generator itself stays small)."""
    rng = np.random.default_rng(7)
    words = np.array(["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"])
    with path.open("w") as handle:
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            data = {"ds": np.full(n, "2026-09-01")}
            data.update({f"f{i}": rng.normal(10, 3, n).round(4) for i in range(5)})
            data.update({f"i{i}": rng.integers(0, 100_000, n) for i in range(5)})
            data.update({f"s{i}": rng.choice(words, n) for i in range(4)})
            data["flag"] = rng.random(n) < 0.5
            pd.DataFrame(data).to_csv(handle, index=False, header=start == 0)


def _database() -> tuple[sa.Engine, str]:
    admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    name = f"trainguard_load_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.create_engine(f"{PG_SERVER}/{name}"), name


def _drop(name: str) -> None:
    admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def plain_copy(path: Path) -> float:
    engine, name = _database()
    try:
        types = ["text"] + ["double precision"] * 5 + ["bigint"] * 5 + ["text"] * 4 + ["boolean"]
        columns = ", ".join(f"{c} {t}" for c, t in zip(COLUMNS, types, strict=True))
        start = time.perf_counter()
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(f"CREATE TABLE t ({columns})")
            with path.open() as handle:
                cursor.copy_expert("COPY t FROM STDIN WITH (FORMAT csv, HEADER true)", handle)
            cursor.execute("CREATE INDEX ix_t_ds ON t (ds)")
            raw.commit()
        finally:
            raw.close()
        return time.perf_counter() - start
    finally:
        engine.dispose()
        _drop(name)


PEAK = (
    "import resource, sys\n"
    "from training.cli.main import main\n"
    "code = main(sys.argv[1:])\n"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def trainguard_load(path: Path) -> tuple[float, float, int]:
    """Seconds, peak resident MB of the ``data load`` process, rows stored."""
    engine, name = _database()
    try:
        env = {**os.environ, "TRAINGUARD_WAREHOUSE_URL": f"{PG_SERVER}/{name}"}
        # The CLI's own main, in a process that reports its peak resident memory on exit.
        command = [
            sys.executable,
            "-c",
            PEAK,
            "data",
            "load",
            "--table",
            "t",
            "--file",
            str(path),
            "--date-column",
            "ds",
        ]
        start = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"data load failed: {done.stderr.strip()}")
        peak_kb = int(done.stderr.strip().splitlines()[-1])
        with engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT count(*) FROM t")).scalar_one()
        return seconds, peak_kb / 1024, stored
    finally:
        engine.dispose()
        _drop(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000000,10000000", help="rows of the day, comma-separated")
    args = parser.parse_args()
    sizes = sorted(int(r) for r in args.rows.split(","))
    print(f"{'rows':>10} {'file MB':>8} {'(a) COPY':>9} {'(b) load':>9} {'b/a':>5} {'peak MB':>8}  ok")
    with tempfile.TemporaryDirectory(prefix="trainguard-load-") as folder:
        for rows in sizes:
            path = Path(folder) / f"day_{rows}.csv"
            write_csv(path, rows)
            floor = plain_copy(path)
            seconds, peak, stored = trainguard_load(path)
            size = path.stat().st_size / 2**20
            ok = "pass" if stored == rows else f"FAIL: {stored} rows stored"
            print(f"{rows:>10} {size:>8.0f} {floor:>9.2f} {seconds:>9.2f} {seconds / floor:>5.2f} {peak:>8.0f}  {ok}")
            path.unlink()


if __name__ == "__main__":
    main()
