"""How fast is a day's validation? Prints a table of figures and ratios measured in one run.

    .venv/bin/python benchmarks/checkpoint_speed.py              # everything (30-60 min, most of it naive GX)
    .venv/bin/python benchmarks/checkpoint_speed.py --sizes 10000 --backends sqlite   # a quick look
    .venv/bin/python benchmarks/checkpoint_speed.py --backends postgresql --sizes 1000000 \
        --large-sizes 10000000 --no-naive --no-startup                  # the 1M and 10M-row days

For each backend (SQLite file, a fresh PostgreSQL database) and day size (rows per day), it
loads the demo schema twice: a table holding 30 days and one holding only the validated day
(plus the days its row-count interval check may compare with, 1 and 7 days back), scaffolds a
suite from 8 reference days, and measures, each in a fresh process with imports excluded (the
fastest of five when a run takes under 10 s; (a) and (b) take turns):
  (a) ``run_checkpoint`` of the scaffolded suite on the last day (trainguard's path), and the
      whole ``trainguard checkpoint run`` CLI process;
  (b) the single-scan floor: one hand-written aggregate query over the same day;
  (c) naive GX on the same expectations: GX's daily partitioner, stock metrics, SUMMARY;
  (d) ``run_checkpoint`` with the speed layer off (``TRAINGUARD_GX_SPEEDUPS=off``): trainguard's
      suite on stock GX, the layer's own gain.
A large size (``--large-sizes``) loads only the one-day table (the day, and 1 and 7 days back)
and validates it with the suite scaffolded for the largest ``--sizes`` entry (so row-count
checks fail there: the time is what is measured), against the floor of the same day.
It also times ``--help``, ``checkpoint list`` and a 30-day ``--from/--to`` run against 30
separate CLI calls. Nothing here is part of the test run.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa

from training.warehouse.partitions import day_str

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LAST_DAY = dt.date(2026, 3, 31)
REFERENCE_DAYS = 8
HISTORY = 30
# Stock GX expectations that trainguard's suites replace with single-scan equivalents.
STOCK_EQUIVALENTS = {
    "expect_column_quantiles_to_be_between": "expect_column_quantile_values_to_be_between",
    "expect_column_distinct_count_to_be_between": "expect_column_unique_value_count_to_be_between",
    "expect_column_distinct_proportion_to_be_between": "expect_column_proportion_of_unique_values_to_be_between",
    "expect_column_mode_to_be_in_set": "expect_column_most_common_value_to_be_in_set",
}
# Arguments of those equivalents that the stock expectations do not have.
TRAINGUARD_ONLY_KWARGS = ("known_values",)


def _load_rows(engine: sa.Engine, table: str, frame) -> None:
    import pandas as pd

    columns = list(frame.columns)
    if engine.dialect.name == "postgresql":
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, header=False)
        buffer.seek(0)
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cursor:
                cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", buffer)
            raw.commit()
        finally:
            raw.close()
        return
    rows = frame.astype(object).where(pd.notna(frame), None).itertuples(index=False, name=None)
    marks = ", ".join("?" for _ in columns)
    raw = engine.raw_connection()
    try:
        raw.cursor().executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        raw.commit()
    finally:
        raw.close()


def _copy_day(engine: sa.Engine, source: str, target: str, columns: Sequence[str], src: str, dst: str) -> None:
    others = ", ".join(c for c in columns if c != "ds")
    with engine.begin() as conn:
        conn.execute(
            sa.text(f"INSERT INTO {target} (ds, {others}) SELECT :dst, {others} FROM {source} WHERE ds = :src"),
            {"src": src, "dst": dst},
        )


def load_tables(engine: sa.Engine, rows: int, seed: int = 11) -> tuple[str, str]:
    """Tables ``t{rows}_h30`` (30 days) and ``t{rows}_h1`` (the last day, and 1 and 7 days back:
    the scaffolded interval check compares with one of them)."""
    from training.demo.generate import generate_day
    from training.warehouse.writer import write_day

    h30, h1 = f"t{rows}_h30", f"t{rows}_h1"
    generated = [LAST_DAY - dt.timedelta(days=i) for i in range(REFERENCE_DAYS + 1)]
    columns: list[str] = []
    for day in sorted(generated):
        frame = generate_day(day, seed=seed, scale=rows / 1200)
        if not columns:
            for table in (h30, h1):
                write_day(engine, table, "ds", day, frame.head(0))
            columns = ["ds", *frame.columns]
        _load_rows(engine, h30, frame.assign(ds=day_str(day))[columns])
    for back in range(REFERENCE_DAYS + 1, HISTORY):
        day = LAST_DAY - dt.timedelta(days=back)
        twin = next(g for g in generated if g.weekday() == day.weekday())
        _copy_day(engine, h30, h30, columns, day_str(twin), day_str(day))
    for day in (LAST_DAY - dt.timedelta(days=7), LAST_DAY - dt.timedelta(days=1), LAST_DAY):
        _copy_day(engine, h30, h1, columns, day_str(day), day_str(day))
    # A settled warehouse: on PostgreSQL, VACUUM now rather than autovacuum of the freshly
    # loaded 30M rows competing with the measurements for the two cores, and a CHECKPOINT.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text(f"VACUUM ANALYZE {h30}"))
            conn.execute(sa.text(f"VACUUM ANALYZE {h1}"))
            # Write the loaded pages out now, not while the measurements run (needs superuser
            # or pg_checkpoint; without it the background writer does it as it goes).
            with contextlib.suppress(sa.exc.DBAPIError):
                conn.execute(sa.text("CHECKPOINT"))
        else:
            conn.execute(sa.text("ANALYZE"))
    return h30, h1


def build_checkpoints(engine: sa.Engine, settings, h30: str, h1: str) -> str:
    """Scaffold the suite on ``h30``, reuse it on ``h1``, and register the naive GX twin
    (a view with ``ds`` as a date, GX's daily partitioner, stock expectations); returns the
    naive checkpoint's name."""
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.expectations.registry import get_expectation_impl

    import great_expectations as gx
    from training.extensions import open_context
    from training.scaffold.register import scaffold_suite, write_suite

    context = open_context(settings)
    first = LAST_DAY - dt.timedelta(days=REFERENCE_DAYS)
    scaffold_suite(h30, h30, "ds", (first, LAST_DAY - dt.timedelta(days=1)), settings=settings, context=context)
    stored = json.loads((settings.gx_root / "expectations" / f"{h30}.json").read_text())["expectations"]
    configs = [{"type": e["type"], "kwargs": e["kwargs"], "notes": e.get("notes")} for e in stored]
    write_suite(context, h1, h1, "ds", configs)

    naive = f"{h30}_naive"
    others = ", ".join(c["name"] for c in sa.inspect(engine).get_columns(h30) if c["name"] != "ds")
    # SQLite's date functions read the text day as it is; PostgreSQL needs a date to EXTRACT from.
    ds = "CAST(ds AS DATE)" if engine.dialect.name == "postgresql" else "ds"
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE VIEW {naive} AS SELECT {ds} AS ds, {others} FROM {h30}"))
    asset = context.data_sources.get("warehouse").add_table_asset(name=naive, table_name=naive)
    batch = asset.add_batch_definition_daily("daily", column="ds", validate_batchable=False)
    stock = [
        get_expectation_impl(STOCK_EQUIVALENTS.get(c["type"], c["type"]))(
            **{k: v for k, v in c["kwargs"].items() if k not in TRAINGUARD_ONLY_KWARGS}
        )
        for c in configs
        if c["type"] not in ("expect_day_metric_to_be_within_ratio_of_days_back",)
    ]
    suite = context.suites.add(gx.ExpectationSuite(name=naive, expectations=stock))
    definition = context.validation_definitions.add(gx.ValidationDefinition(name=naive, data=batch, suite=suite))
    context.checkpoints.add(
        gx.Checkpoint(
            name=naive,
            validation_definitions=[definition],
            actions=[UpdateDataDocsAction(name="update_data_docs")],
            result_format={"result_format": "SUMMARY"},
        )
    )
    return naive


def load_one_day_table(engine: sa.Engine, rows: int, seed: int = 11) -> str:
    """Table ``t{rows}_h1`` only: the validated day and 1 and 7 days back, generated at ``rows``."""
    from training.demo.generate import generate_day
    from training.warehouse.writer import write_day

    h1 = f"t{rows}_h1"
    columns: list[str] = []
    for day in (LAST_DAY - dt.timedelta(days=7), LAST_DAY - dt.timedelta(days=1), LAST_DAY):
        frame = generate_day(day, seed=seed, scale=rows / 1200)
        if not columns:
            write_day(engine, h1, "ds", day, frame.head(0))
            columns = ["ds", *frame.columns]
        _load_rows(engine, h1, frame.assign(ds=day_str(day))[columns])
        del frame
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text(f"VACUUM ANALYZE {h1}"))
            with contextlib.suppress(sa.exc.DBAPIError):
                conn.execute(sa.text("CHECKPOINT"))
    return h1


def reuse_suite(settings, source: str, target: str) -> None:
    """Register ``target`` with the suite scaffolded for table ``source``."""
    from training.extensions import open_context
    from training.scaffold.register import write_suite

    context = open_context(settings)
    stored = json.loads((settings.gx_root / "expectations" / f"{source}.json").read_text())["expectations"]
    configs = [{"type": e["type"], "kwargs": e["kwargs"], "notes": e.get("notes")} for e in stored]
    write_suite(context, target, target, "ds", configs)


def measure(env: dict[str, str], specs: Sequence[tuple], day: dt.date) -> list[dict]:
    """For each (mode, checkpoint, table) of ``specs``, the fastest of five runs, each in a fresh
    process (one run when it takes over 10 s). The specs take turns, so that a slower or faster
    minute of this machine falls on all of them alike; the first process after scaffolding also
    compiles GX's templates and warms the database."""
    runs: list[list[dict]] = [[] for _ in specs]
    for round_ in range(5):
        for spec, done in zip(specs, runs, strict=True):
            if round_ == 0 or done[0]["seconds"] < 10:
                mode, checkpoint, table, *extra_env = spec
                done.append(_measure_once({**env, **dict(extra_env)}, mode, checkpoint, table, day))
    return [min(done, key=lambda r: r["seconds"]) for done in runs]


def _measure_once(env: dict[str, str], mode: str, checkpoint: str, table: str, day: dt.date) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "measure.py"),
            mode,
            "--checkpoint",
            checkpoint,
            "--table",
            table,
            "--day",
            day_str(day),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"measure {mode} {checkpoint} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def timed(command: Sequence[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, capture_output=True, check=False)
    return time.perf_counter() - start


def _workspace(base: Path, url: str) -> tuple[dict[str, str], object]:
    from training.core.settings import load_settings

    gx_root = base / "great_expectations"
    shutil.copytree(REPO / "great_expectations", gx_root, ignore=shutil.ignore_patterns("uncommitted"))
    env = {
        **os.environ,
        "TRAINGUARD_GX_ROOT": str(gx_root),
        "TRAINGUARD_WAREHOUSE_URL": url,
        "TRAINGUARD_VAR_DIR": str(base / "var"),
    }
    return env, load_settings(env)


STOCK = ("TRAINGUARD_GX_SPEEDUPS", "off")


def bench_backend(
    backend: str,
    sizes: Sequence[int],
    pg_server: str,
    base: Path,
    naive: bool = True,
    large: Sequence[int] = (),
    keep: bool = False,
) -> list[dict]:
    rows_out = []
    admin = None
    if backend == "postgresql":
        admin = sa.create_engine(f"{pg_server}/postgres", isolation_level="AUTOCOMMIT")
        name = f"trainguard_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = f"{pg_server}/{name}"
    else:
        url = f"sqlite:///{base / backend / 'warehouse.db'}"
        (base / backend).mkdir(parents=True)
    try:
        engine = sa.create_engine(url)
        for rows in sizes:
            # A GX project per size: one context registering many assets loses its datasource.
            env, settings = _workspace(base / f"{backend}-{rows}-gx", url)
            print(f"  loading {backend} {rows} rows/day ...", file=sys.stderr, flush=True)
            h30, h1 = load_tables(engine, rows)
            naive_checkpoint = build_checkpoints(engine, settings, h30, h1)
            print(f"  measuring {backend} {rows} rows/day ...", file=sys.stderr, flush=True)
            specs = [("floor", h30, h30), ("fast", h30, h30), ("fast", h1, h1), ("fast", h30, h30, STOCK)]
            floor, fast30, fast1, stock30 = measure(env, specs, LAST_DAY)
            naive30 = measure(env, [("naive", naive_checkpoint, naive_checkpoint)], LAST_DAY)[0] if naive else None
            cli_run = [str(BIN / "trainguard"), "checkpoint", "run", h30, "--date", day_str(LAST_DAY)]
            cli = min(timed(cli_run, env) for _ in range(3 if fast30["seconds"] < 10 else 1))
            count = sa.text(f"SELECT COUNT(*) FROM {h30} WHERE ds = :d")
            with engine.connect() as conn:
                day_rows = conn.execute(count, {"d": day_str(LAST_DAY)}).scalar()
            rows_out.append(
                {
                    "backend": backend,
                    "rows": day_rows,
                    "floor": floor,
                    "fast30": fast30,
                    "fast1": fast1,
                    "naive30": naive30,
                    "stock30": stock30,
                    "cli": cli,
                }
            )
            print_row(rows_out[-1])
        for rows in large:
            print(f"  loading {backend} {rows} rows/day (one-day table) ...", file=sys.stderr, flush=True)
            h1 = load_one_day_table(engine, rows)
            reuse_suite(settings, h30, h1)
            print(f"  measuring {backend} {rows} rows/day ...", file=sys.stderr, flush=True)
            specs = [("floor", h1, h1), ("fast", h1, h1), ("fast", h1, h1, STOCK)]
            floor, fast1, stock1 = measure(env, specs, LAST_DAY)
            print_large_row(backend, rows, floor, fast1, stock1, rows_out[0])
        engine.dispose()
        return rows_out
    finally:
        if keep:
            print(f"kept: TRAINGUARD_WAREHOUSE_URL={url} and the GX projects under {base}", file=sys.stderr)
        elif admin is not None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


HEADER = (
    f"{'backend':<11}{'rows/day':>9}{'(b) floor':>10}{'(a) 30d':>9}{'(a) 1d':>8}{'(c) naive':>10}{'(d) off':>9}"
    f"{'CLI':>7}{'a/b':>7}{'c/a':>7}{'d/a':>7}{'30d/1d':>7}{'stmts a':>8}{'stmts c':>8}{'peak MB':>8}  ok"
)


def print_row(r: dict) -> None:
    a, b, a1, d = r["fast30"]["seconds"], r["floor"]["seconds"], r["fast1"]["seconds"], r["stock30"]["seconds"]
    naive = r["naive30"]
    c = f"{naive['seconds']:>10.3f}" if naive else f"{'-':>10}"
    c_a = f"{naive['seconds'] / a:>7.1f}" if naive else f"{'-':>7}"
    statements_c = f"{naive['statements']:>8}" if naive else f"{'-':>8}"
    print(
        f"{r['backend']:<11}{r['rows']:>9}{b:>10.3f}{a:>9.3f}{a1:>8.3f}{c}{d:>9.3f}{r['cli']:>7.2f}"
        f"{a / b:>7.1f}{c_a}{d / a:>7.1f}{a / a1:>7.2f}{r['fast30']['statements']:>8}{statements_c}"
        f"{r['fast30']['peak_over_base_mb']:>8.0f}  {'pass' if r['fast30']['success'] else 'FAIL'}",
        flush=True,
    )


def print_large_row(backend: str, rows: int, floor: dict, fast: dict, stock: dict, small: dict) -> None:
    """A one-day table's figures, and the marginal cost over the small day of the same run:
    (a) - (a) of the smallest size's one-day table, against the floor."""
    a, b, d = fast["seconds"], floor["seconds"], stock["seconds"]
    marginal = a - small["fast1"]["seconds"]
    print(
        f"{backend:<11}{rows:>9}{b:>10.3f}{'-':>9}{a:>8.3f}{'-':>10}{d:>9.3f}{'-':>7}"
        f"{a / b:>7.1f}{'-':>7}{d / a:>7.1f}{'-':>7}{fast['statements']:>8}{'-':>8}"
        f"{fast['peak_over_base_mb']:>8.0f}  (1d table; marginal over {small['rows']} rows: {marginal:.2f} s = "
        f"{marginal / b:.2f}x floor)",
        flush=True,
    )


def bench_startup_and_range(base: Path) -> None:
    """CLI start-up and a 30-day range in one process against 30 separate CLI calls (SQLite, small days)."""
    url = f"sqlite:///{base / 'range' / 'warehouse.db'}"
    (base / "range").mkdir(parents=True)
    env, settings = _workspace(base / "range-gx", url)
    engine = sa.create_engine(url)
    h30, h1 = load_tables(engine, 2000)
    build_checkpoints(engine, settings, h30, h1)
    trainguard = str(BIN / "trainguard")
    help_s = min(timed([trainguard, "--help"], env) for _ in range(3))
    list_s = min(timed([trainguard, "checkpoint", "list"], env) for _ in range(3))
    first = LAST_DAY - dt.timedelta(days=HISTORY - 1)
    one = timed([trainguard, "checkpoint", "run", h30, "--from", day_str(first), "--to", day_str(LAST_DAY)], env)
    separate = sum(
        timed([trainguard, "checkpoint", "run", h30, "--date", day_str(first + dt.timedelta(days=i))], env)
        for i in range(HISTORY)
    )
    print(f"\ntrainguard --help: {help_s:.2f} s   trainguard checkpoint list: {list_s:.2f} s")
    print(
        f"30 days of 2000 rows on SQLite: one --from/--to process {one:.1f} s, 30 separate CLI calls "
        f"{separate:.1f} s, ratio {separate / one:.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="rows per day, comma-separated")
    parser.add_argument("--backends", default="sqlite,postgresql", help="sqlite and/or postgresql")
    parser.add_argument("--pg-server", default="postgresql+psycopg2://postgres@127.0.0.1:5432")
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up and 30-day range figures")
    parser.add_argument("--no-naive", action="store_true", help="skip (c), naive GX (most of the run time)")
    parser.add_argument("--large-sizes", default="", help="rows per day measured on a one-day table only")
    parser.add_argument("--keep", action="store_true", help="keep the databases and GX projects (for profiling)")
    args = parser.parse_args()
    large = [int(s) for s in args.large_sizes.split(",") if s]
    sizes = [int(s) for s in args.sizes.split(",")]
    base = Path(tempfile.mkdtemp(prefix="trainguard-bench-"))
    try:
        print(HEADER, flush=True)
        for backend in args.backends.split(","):
            bench_backend(backend, sizes, args.pg_server, base, naive=not args.no_naive, large=large, keep=args.keep)
        if not args.no_startup:
            bench_startup_and_range(base)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
