"""`trainguard airflow`: run Airflow for this project."""

from __future__ import annotations

import argparse
from typing import Any

from training.cli.options import EXIT_FAILED, EXIT_OK, add_command


def cmd_airflow_env(args: argparse.Namespace) -> int:
    import shlex

    from training.airflow.standalone import standalone_env
    from training.core.settings import get_settings

    env = standalone_env(get_settings())
    for key in sorted(k for k in env if k.startswith("AIRFLOW")):
        print(f"export {key}={shlex.quote(env[key])}")
    return EXIT_OK


def cmd_airflow_standalone(args: argparse.Namespace) -> int:
    from training.airflow.standalone import run_standalone
    from training.core.settings import get_settings

    return EXIT_OK if run_standalone(get_settings()) == 0 else EXIT_FAILED


def add_commands(groups: Any) -> None:
    """The `trainguard airflow` commands and their options."""
    airflow = groups.add_parser("airflow", help="run Airflow for this project").add_subparsers(
        dest="command", required=True, metavar="SUBCOMMAND"
    )
    add_command(airflow, "env", cmd_airflow_env, "print the AIRFLOW_* exports this project uses (embedded defaults)")
    add_command(
        airflow,
        "standalone",
        cmd_airflow_standalone,
        "run 'airflow standalone' (SQLite metadata, 4 task slots) and the Data Docs server; Ctrl-C stops both",
    )
