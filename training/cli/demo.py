"""`trainguard demo`: seeded demo data and the end-to-end demo."""

from __future__ import annotations

import argparse
from typing import Any

from training.cli.options import EXIT_FAILED, EXIT_OK, add_command, parse_date
from training.core.errors import TrainguardError


def cmd_demo_seed(args: argparse.Namespace) -> int:
    from training.core.settings import get_settings
    from training.demo.generate import CATEGORICAL, NUMERIC, TARGET, Skew
    from training.demo.seed import seed_demo
    from training.warehouse.engine import get_engine

    skews = [Skew.parse(s) for s in args.skew]
    outside = [s for s in skews if not args.start <= s.day <= args.end]
    if outside:  # seeding would skip it silently: the user would wait for a failure that never comes
        raise TrainguardError(
            f"skew day {outside[0].day} is outside --start {args.start} .. --end {args.end}: nothing would be injected"
        )
    columns = {*NUMERIC, *CATEGORICAL, TARGET}
    unknown = [s for s in skews if s.column is not None and s.kind != "new_column" and s.column not in columns]
    if unknown:  # refused before the first day is written, not halfway through the range
        raise TrainguardError(
            f"cannot skew unknown column {unknown[0].column!r}: choose from {', '.join(sorted(columns))}"
        )
    written = seed_demo(get_engine(get_settings().warehouse_url), args.start, args.end, skews, seed=args.seed)
    print(f"wrote {sum(written.values())} rows over {len(written)} days into 'trips'")
    for skew in skews:
        print(f"  injected {skew.describe()}")
    return EXIT_OK


def cmd_demo_run(args: argparse.Namespace) -> int:
    from training.demo.run import run_demo

    return EXIT_OK if run_demo() else EXIT_FAILED


def add_commands(groups: Any) -> None:
    """The `trainguard demo` commands and their options."""
    demo = groups.add_parser("demo", help="demo data and the end-to-end demo").add_subparsers(
        dest="command", required=True, metavar="SUBCOMMAND"
    )
    seed = add_command(demo, "seed", cmd_demo_seed, "write seeded demo days into the warehouse table 'trips'")
    seed.add_argument("--start", type=parse_date, required=True, help="first day, YYYY-MM-DD")
    seed.add_argument("--end", type=parse_date, required=True, help="last day, YYYY-MM-DD")
    seed.add_argument(
        "--skew",
        action="append",
        default=[],
        metavar="DAY:KIND[:COLUMN[:AMOUNT]]",
        help="inject skew; KIND is drop_column, new_column, type_change, null_burst (AMOUNT = null share, "
        "default 0.2), mean_shift (standard deviations, 3), new_category (share, 0.05) or row_collapse "
        "(share of rows lost, 0.5); repeatable",
    )
    seed.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    add_command(demo, "run", cmd_demo_run, "seed the demo warehouse and run the Airflow DAG for several days")
