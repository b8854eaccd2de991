"""What every command group shares: exit codes, dates, JSON output and the one-line parser."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import re
from collections.abc import Callable
from typing import Any, NoReturn

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(text: str) -> dt.date:
    """A calendar date written exactly as YYYY-MM-DD."""
    try:
        if not _DATE.match(text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r}: expected YYYY-MM-DD") from None


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


def significant(value: float, digits: int = 4) -> float:
    """``value`` rounded to ``digits`` significant digits, never dropping integer digits
    (0.123456 -> 0.1235, 12345.678 -> 12346.0); non-finite values and zero unchanged."""
    if not math.isfinite(value) or value == 0:
        return value
    return round(value, max(0, digits - 1 - math.floor(math.log10(abs(value)))))


def round_floats(value: Any, digits: int = 4) -> Any:
    """A copy of ``value`` (nested dicts, lists, tuples) with every float rounded by
    :func:`significant`, for text output; ``--json`` prints the unrounded values."""
    if isinstance(value, float):
        return significant(value, digits)
    if isinstance(value, dict):
        return {k: round_floats(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(round_floats(v, digits) for v in value)
    return value


def number(value: Any) -> str:
    """A metric for text output: 4 significant digits (``1.235``, ``12346``, ``0.0001235``)."""
    return f"{significant(value):g}" if isinstance(value, float) else str(value)


class Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors: the message and where to find help, no usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")

    def parse_args(self, args: Any = None, namespace: Any = None) -> argparse.Namespace:
        # argparse reports leftover words from the top-level parser ("trainguard: error:
        # unrecognized arguments"); name the command they were given to instead.
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            self._chosen(parsed).error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed

    def _chosen(self, parsed: argparse.Namespace) -> argparse.ArgumentParser:
        """The (sub)command parser that ``parsed`` went through last."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                chosen = action.choices.get(getattr(parsed, action.dest, None) or "")
                if chosen is not None:
                    return chosen._chosen(parsed) if isinstance(chosen, Parser) else chosen
        return self


def add_command(
    sub: Any, name: str, func: Callable[[argparse.Namespace], int], help_text: str
) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(func=func)
    return parser


def json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one machine-readable JSON object")


def pipeline_named(name: str) -> Any:
    from training.core.settings import get_settings
    from training.pipelines.config import find_pipeline

    return find_pipeline(get_settings().pipelines_dir, name)
