"""`trainguard data`: load files into the warehouse."""

from __future__ import annotations

import argparse
from typing import Any

from training.cli.options import EXIT_OK, add_command


def cmd_data_load(args: argparse.Namespace) -> int:
    from pathlib import Path

    from training.core.settings import get_settings
    from training.warehouse.engine import check_reachable, get_engine
    from training.warehouse.loading import load_file

    engine = get_engine(get_settings().warehouse_url)
    check_reachable(engine)
    written = load_file(
        engine,
        args.table,
        Path(args.file),
        args.date_column,
        replace=args.mode == "replace",
        date_format=args.date_format,
    )
    first, last = min(written), max(written)
    verb = "replaced" if args.mode == "replace" else "appended to"
    print(f"{verb} {len(written)} day(s) of {args.table!r} ({first}..{last}): {sum(written.values())} rows")
    return EXIT_OK


def add_commands(groups: Any) -> None:
    """The `trainguard data` commands and their options."""
    data = groups.add_parser("data", help="load files into the warehouse").add_subparsers(
        dest="command", required=True, metavar="SUBCOMMAND"
    )
    load = add_command(data, "load", cmd_data_load, "load a CSV or Parquet file into a daily-partitioned table")
    load.add_argument("--table", required=True, help="warehouse table (created if missing)")
    load.add_argument("--file", required=True, help="a .csv or .parquet file")
    load.add_argument("--date-column", required=True, help="column with the day; stored as YYYY-MM-DD")
    load.add_argument(
        "--date-format",
        metavar="FORMAT",
        help="strftime format of the date column's text, e.g. '%%d/%%m/%%Y' or '%%d %%b %%Y'; needed when it is "
        "not year first (YYYY-MM-DD) and reads two ways (09/02/2026) or mixes formats, which are refused without it",
    )
    load.add_argument(
        "--mode",
        choices=["replace", "append"],
        default="replace",
        help="replace the file's days in the table (default) or append rows to them",
    )
