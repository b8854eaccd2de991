"""Property-based tests (hypothesis): whatever a file or a command line holds, the loader and
the CLI parser either succeed correctly or stop with their own clean error, never another
exception. Derandomized, so every run tries the same examples."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import tempfile
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from training.cli.main import build_parser
from training.cli.options import parse_date
from training.core.errors import TrainguardError
from training.warehouse.loading import check_mixed_types, load_file, normalise_days

FAST = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,  # nothing written into the work tree
    suppress_health_check=[HealthCheck.too_slow],
)

DAYS = st.dates(min_value=dt.date(1970, 1, 2), max_value=dt.date(2200, 12, 31))
# How a day may be written in a file; each must read back as the same day.
FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
JUNK = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=12)


@st.composite
def written_days(draw: st.DrawFn) -> tuple[list[dt.date], list[str]]:
    days = draw(st.lists(DAYS, min_size=1, max_size=8))
    texts = []
    for day in days:
        moment = dt.datetime.combine(day, dt.time(draw(st.integers(0, 23)), draw(st.integers(0, 59))))
        texts.append(moment.strftime(draw(st.sampled_from(FORMATS))))
    return days, texts


@FAST
@given(written_days())
def test_dates_in_any_supported_format_round_trip(case):
    days, texts = case
    assert list(normalise_days(pd.Series(texts, dtype=object), "day")) == days


@FAST
@given(st.lists(DAYS, min_size=1, max_size=8))
def test_compact_numeric_dates_round_trip(days):
    values = pd.Series([int(d.strftime("%Y%m%d")) for d in days])
    assert list(normalise_days(values, "day")) == days


@FAST
@given(st.lists(st.one_of(JUNK, st.integers(-(10**12), 10**12), st.floats(allow_nan=True), st.none()), min_size=1))
def test_any_date_column_gives_days_or_a_clean_error(values):
    series = pd.Series(values, dtype=object)
    try:
        parsed = normalise_days(series, "day")
    except TrainguardError as exc:
        assert "'day'" in str(exc) and "data row" in str(exc)
    else:
        assert len(parsed) == len(values) and all(isinstance(d, dt.date) for d in parsed)


@FAST
@given(
    st.lists(st.one_of(JUNK, st.integers(-1000, 1000), st.floats(allow_nan=False, allow_infinity=False)), min_size=1)
)
def test_mixed_type_check_passes_or_names_the_row(values):
    frame = pd.DataFrame({"day": ["2026-05-01"] * len(values), "x": pd.Series(values, dtype=object)})
    try:
        check_mixed_types(frame, "day")
    except TrainguardError as exc:
        assert "column 'x' is numeric except in data row" in str(exc)


COLUMN_NAMES = st.sampled_from(["amount", "shop", "n", "bad name", "1st", "ok_2"])
CELLS = st.one_of(st.none(), st.integers(-50, 50), st.floats(-1e6, 1e6), JUNK)


@st.composite
def small_files(draw: st.DrawFn) -> tuple[pd.DataFrame, list[dt.date]]:
    days, texts = draw(written_days())
    if draw(st.booleans()):
        texts[draw(st.integers(0, len(texts) - 1))] = draw(JUNK)  # sometimes a bad date
    names = draw(st.lists(COLUMN_NAMES, max_size=3, unique=True))
    frame = pd.DataFrame(
        {"day": texts, **{n: draw(st.lists(CELLS, min_size=len(texts), max_size=len(texts))) for n in names}}
    )
    return frame, days


@FAST
@given(small_files())
def test_loading_a_random_small_csv_round_trips_its_days_or_writes_nothing(case):
    frame, days = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.csv"
        frame.to_csv(path, index=False)
        engine = sa.create_engine(f"sqlite:///{Path(folder) / 'warehouse.db'}")
        try:
            try:
                written = load_file(engine, "random_table", path, "day")
            except TrainguardError as exc:
                event(f"refused: {str(exc).split(':')[0][:40]}")
                assert not sa.inspect(engine).has_table("random_table")  # nothing was written
                return
            event("loaded")
            expected = pd.Series(days).value_counts().sort_index()
            assert {d: n for d, n in written.items()} == {d: int(n) for d, n in expected.items()}
            with engine.connect() as conn:
                stored = conn.execute(sa.text("SELECT day, COUNT(*) FROM random_table GROUP BY day ORDER BY day"))
                assert [tuple(r) for r in stored] == [(d.isoformat(), int(n)) for d, n in expected.items()]
        finally:
            engine.dispose()


# --- the CLI parser -----------------------------------------------------------------------

WORDS = st.sampled_from(
    [
        "checkpoint", "run", "list", "data", "load", "suite", "scaffold", "docs", "build", "prune", "serve",
        "demo", "seed", "airflow", "env", "model", "train", "show", "promote", "trips_daily", "--date", "--from",
        "--to", "--model", "--json", "--table", "--file", "--date-column", "--mode", "replace", "append",
        "--port", "--force", "--reason", "--skew", "--start", "--end", "--strictness", "--bins", "-h", "--help",
        "2026-09-01", "2026-02-30", "--", "-",
    ]
)  # fmt: skip


def _parse(argv: list[str]) -> argparse.Namespace | int:
    """Parse in-process; a parser exit returns its code. Output is swallowed."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            return build_parser().parse_args(argv)
        except SystemExit as exc:
            return exc.code


COMMANDS = st.sampled_from(
    [[], ["checkpoint", "run", "trips_daily"], ["checkpoint", "list"], ["model", "list"], ["model", "train"],
     ["data", "load"], ["docs", "build"], ["docs", "serve"], ["demo", "seed"], ["model", "promote", "m"]]
)  # fmt: skip


@FAST
@given(COMMANDS, st.lists(st.one_of(WORDS, JUNK), max_size=8))
def test_any_argv_parses_or_exits_0_or_2(command, tail):
    argv = [*command, *tail]
    outcome = _parse(argv)
    event(f"outcome {outcome if isinstance(outcome, int) else 'parsed'}")
    if isinstance(outcome, argparse.Namespace):
        assert callable(outcome.func)  # a full command was recognised
    else:
        assert outcome in (0, 2)


@FAST
@given(st.one_of(JUNK, DAYS.map(dt.date.isoformat), st.from_regex(r"\A\d{4}-\d{2}-\d{2}\Z")))
def test_any_date_string_is_a_date_or_a_usage_error(text):
    try:
        parsed = parse_date(text)
    except argparse.ArgumentTypeError as exc:
        event("not a date")
        assert "expected YYYY-MM-DD" in str(exc)
    else:
        event("a date")
        assert parsed.isoformat() == text  # exactly YYYY-MM-DD, nothing lenient
    outcome = _parse(["checkpoint", "run", "trips_daily", "--date", text])
    assert outcome == 2 if not isinstance(outcome, argparse.Namespace) else outcome.date.isoformat() == text


@pytest.mark.parametrize("good", ["2024-02-29", "2026-12-31", "0001-01-01"])
def test_real_calendar_dates_parse(good):
    assert parse_date(good) == dt.date.fromisoformat(good)
