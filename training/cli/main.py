"""The ``trainguard`` command line: parse, call a service, print, exit.

Exit codes: 0 passed, 1 validation failed (or a model was refused), 2 usage or configuration
error. GX, Airflow, pandas and scikit-learn are imported inside the commands that need them,
so ``--help`` and listing stay fast. Each command group is a module of this package with its
own ``add_commands``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from training.cli import airflow, checkpoint, data, demo, docs, model, pipeline, suite, validation
from training.cli.options import EXIT_USAGE, Parser
from training.core.errors import TrainguardError

GROUPS = (checkpoint, data, suite, validation, docs, demo, airflow, pipeline, model)
# The only commands that may create a SQLite warehouse that does not exist yet; every other
# command reads an existing one, and a mistyped path must not leave an empty warehouse behind.
# `airflow standalone` starts the scheduler whose DAG tasks create it as the library does.
CREATE_WAREHOUSE = {("data", "load"), ("demo", "seed"), ("demo", "run"), ("airflow", "standalone")}


# What a command that was writing into a closed pipe (`trainguard ... | head -1`) exits with:
# 128 + SIGPIPE, the status a shell reports for git, grep or `yes` in the same place (they are
# killed by the signal; Python ignores it and gets BrokenPipeError instead). It is neither 0,
# which would claim all output was delivered, nor 1, which here means "validation failed"; and a
# pipeline's status is its last command's unless `set -o pipefail` asks for this one.
EXIT_BROKEN_PIPE = 128 + 13


def package_version() -> str:
    """The installed distribution's version; from a source tree that is not installed, the
    one declared in pyproject.toml, else ``unknown``."""
    from importlib import metadata

    try:
        return metadata.version("trainguard")
    except metadata.PackageNotFoundError:
        pass
    import re
    from pathlib import Path

    try:
        text = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        return "unknown"
    match = re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE)
    return match.group(1) if match else "unknown"


class _Version(argparse.Action):
    """``--version``: the version is looked up only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(f"trainguard {package_version()}")
        parser.exit(0)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="trainguard", description="Data and model quality gates for ML training pipelines.")
    parser.add_argument("--version", action=_Version, help="print the version and exit")
    groups = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.add_commands(groups)
    return parser


def _log_to_file() -> None:
    """Library log records (GX logs each failed SQL statement with its traceback) go to
    ``var/trainguard.log`` instead of stderr, where the CLI prints one line per problem. The file
    is opened only when something is logged."""
    import logging
    from pathlib import Path

    from training.core.settings import get_settings

    class _LazyFileHandler(logging.FileHandler):
        def _open(self):  # the folder too is made only when a record is written
            Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
            return super()._open()

    path = Path(get_settings().var_dir) / "trainguard.log"
    root = logging.getLogger()
    if not any(isinstance(h, logging.FileHandler) for h in root.handlers):
        handler = _LazyFileHandler(path, delay=True)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)  # with a handler present, Python no longer prints to stderr


def _database_error(exc: BaseException) -> str | None:
    """A one-line message for a database error raised outside trainguard's own checks (a
    read-only warehouse, a connection lost mid-command), or None for any other exception."""
    sa_exc = sys.modules.get("sqlalchemy.exc")  # imported only by commands that use a database
    if sa_exc is None or not isinstance(exc, sa_exc.SQLAlchemyError):
        return None
    from training.warehouse.engine import database_reason

    return f"warehouse error: {database_reason(exc)}"


def _closed_pipe() -> int:
    """The reader of stdout went away: stop quietly, like any Unix tool. Python would flush
    stdout again at exit and print an "Exception ignored" message, so stdout now points at
    /dev/null."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is not a file (captured): nothing is flushed at exit
        pass
    return EXIT_BROKEN_PIPE


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        return _closed_pipe()


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from training.core.settings import warehouse_creation

    try:
        _log_to_file()
        with warehouse_creation((args.group, args.command) in CREATE_WAREHOUSE):
            code = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, within the handler, not at exit
        return code
    except BrokenPipeError:
        raise
    except TrainguardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        message = _database_error(exc)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
