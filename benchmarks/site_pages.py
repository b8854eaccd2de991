"""What do trainguard's own Data Docs pages cost a checkpoint run as history grows? One table.

    .venv/bin/python benchmarks/site_pages.py                # 30, 365 and 730 days
    .venv/bin/python benchmarks/site_pages.py --days 365     # a quick look

After every validation trainguard rewrites ``runs.html`` (one row per day) and the history
pages (a chart per recorded value, the last 365 days) from its outcome tables. For each size
this fills a SQLite warehouse with that many days of two suites of 40 checks each (a failed day
in ten, every fifth day validated twice) and measures, the fastest of five, taking turns:
  (a) the floor: reading every outcome row (validations and observations) as plain tuples;
  (b) ``runs_page``;
  (c) ``history_pages``.
Nothing here is part of the test run.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from turns import days_option, fastest_in_turns, scratch_folder  # this folder, on sys.path when run as a script

from training.docs_site.pages import history_pages, runs_page
from training.warehouse.tables import ensure_tables, observations, validations

REPO = Path(__file__).resolve().parents[1]


def fill(engine: sa.Engine, days: int) -> None:
    rng = random.Random(7)
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    runs, values = [], []
    for suite in range(2):
        for offset in range(days):
            day = (start.date() + dt.timedelta(days=offset)).isoformat()
            for again in range(1 + (offset % 5 == 0)):
                at = start + dt.timedelta(days=offset, hours=again)
                ok = rng.random() > 0.1
                runs.append(
                    {
                        "checkpoint": f"daily_{suite}",
                        "suite": f"daily_{suite}",
                        "batch_key": "ds",
                        "batch_value": day,
                        "success": ok,
                        "evaluated": 40,
                        "failed": 0 if ok else 3,
                        "run_at": at,
                        "docs_page": None,
                    }
                )
                values += [
                    {
                        "checkpoint": f"daily_{suite}",
                        "suite": f"daily_{suite}",
                        "batch_value": day,
                        "expectation_type": f"expect_check_{check % 8}",
                        "column_name": f"column_{check % 20}",
                        "observed": rng.random(),
                        "success": rng.random() > 0.05,
                        "run_at": at,
                    }
                    for check in range(40)
                ]
    with engine.begin() as conn:
        conn.execute(validations.insert(), runs)
        conn.execute(observations.insert(), values)


def floor(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        conn.execute(sa.select(validations)).all()
        conn.execute(sa.select(observations)).all()


def main() -> None:
    sizes = days_option(__doc__, "30,365,730")
    print(f"{'days':>6} {'rows':>7} {'(a) read':>9} {'(b) runs':>9} {'(c) hist':>9} {'b/a':>6} {'c/a':>6}")
    for days in sizes:
        with scratch_folder("trainguard-pages-") as base:
            engine = sa.create_engine(f"sqlite:///{base / 'warehouse.db'}")
            ensure_tables(engine)
            fill(engine, days)
            site = base / "site"
            site.mkdir()
            measured = (
                lambda engine=engine: floor(engine),
                lambda site=site, engine=engine: runs_page(site, engine),
                lambda engine=engine: history_pages(engine, REPO / "great_expectations"),
            )
            best = fastest_in_turns(measured)
            with engine.connect() as conn:
                rows = conn.execute(sa.select(sa.func.count()).select_from(observations)).scalar_one()
            read, runs, hist = best
            print(f"{days:>6} {rows:>7} {read:>9.3f} {runs:>9.3f} {hist:>9.3f} {runs / read:>6.2f} {hist / read:>6.2f}")
            engine.dispose()


if __name__ == "__main__":
    main()
