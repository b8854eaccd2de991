"""One measurement in a fresh process, printed as a JSON line (run by checkpoint_speed.py).

Modes:
  fast   trainguard's run_checkpoint on one day (the default path of the CLI and Airflow)
  naive  GX alone on the same expectations: GX's daily partitioner, stock metrics, SUMMARY
  floor  one hand-written aggregate query over the day: counts, nulls, mean, stddev, min, max
         of every column in a single scan

Imports and opening the GX context happen before the clock starts; peak memory is the
process's high-water mark during the measurement minus its resident size just before.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import sqlalchemy as sa


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    # Writing 5 to clear_refs resets VmHWM (Linux >= 4.0): the peak then covers only the run.
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


class StatementCounter:
    """Counts (and with ``show``, times and prints) every statement sent to a database."""

    def __init__(self, show: bool = False) -> None:
        self.count = 0
        self.show = show
        self._started = 0.0
        sa.event.listen(sa.engine.Engine, "before_cursor_execute", self._before)
        sa.event.listen(sa.engine.Engine, "after_cursor_execute", self._after)

    def _before(self, *args: object) -> None:
        self.count += 1
        self._started = time.perf_counter()

    def _after(self, conn, cursor, statement: str, *args: object) -> None:
        if self.show:
            took = time.perf_counter() - self._started
            print(f"{took:8.3f} s  {' '.join(statement.split())[:300]}", file=sys.stderr)


def floor_query(engine: sa.Engine, table: str, date_column: str, day: str) -> None:
    """The single-scan floor: the aggregates every column's checks need, in one SELECT."""
    meta = sa.MetaData()
    tab = sa.Table(table, meta, autoload_with=engine)
    numeric = (sa.Integer, sa.Float, sa.Numeric)
    select = [sa.func.count()]
    for col in tab.columns:
        if col.name == date_column:
            continue
        select += [sa.func.count(col), sa.func.min(col), sa.func.max(col)]
        if isinstance(col.type, numeric):
            value = sa.cast(col, sa.Float)
            select += [sa.func.avg(value), sa.func.avg(value * value)]
    query = sa.select(*select).where(tab.c[date_column] == day)
    with engine.connect() as conn:
        conn.execute(query).one()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["fast", "naive", "floor"])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--table", required=True)
    parser.add_argument("--day", required=True)
    parser.add_argument("--show-statements", action="store_true", help="print each statement and its time")
    args = parser.parse_args()

    from training.core.settings import get_settings
    from training.warehouse.engine import get_engine

    settings = get_settings()
    engine = get_engine(settings.warehouse_url)
    context = None
    if args.mode != "floor":
        from training.extensions import open_context

        context = open_context(settings)
    counter = StatementCounter(show=args.show_statements)
    base = _status("VmRSS")
    _reset_peak()
    start = time.perf_counter()
    success = True
    if args.mode == "floor":
        floor_query(engine, args.table, "ds", args.day)
    elif args.mode == "fast":
        from training.gx.run import run_checkpoint

        success = run_checkpoint(args.checkpoint, [args.day], settings=settings, context=context).success
    else:
        year, month, day = (int(p) for p in args.day.split("-"))
        checkpoint = context.checkpoints.get(args.checkpoint)
        success = bool(checkpoint.run(batch_parameters={"year": year, "month": month, "day": day}).success)
    seconds = time.perf_counter() - start
    peak = _status("VmHWM")
    print(
        json.dumps(
            {
                "seconds": seconds,
                "statements": counter.count,
                "rss_base_mb": base,
                "peak_over_base_mb": max(0.0, peak - base),
                "success": success,
            }
        )
    )


if __name__ == "__main__":
    main()
