"""Profile a reference window of a daily-partitioned table, one day at a time.

Everything the scaffold needs is kept per day (so thresholds can come from day-to-day
variation rather than from pooled values) and bounded in size: numeric columns keep a seeded
sample of at most ``sample_per_day`` values per day, text columns their top value counts.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from training.core.errors import NotFoundError, TrainguardError
from training.warehouse.identifiers import existing_columns
from training.warehouse.partitions import read_days

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
# Text columns keep at most this many distinct values per day; more makes them "high cardinality".
TOP_VALUES_PER_DAY = 500
# Above this magnitude a value's square overflows a float (about 1.8e308).
MAX_MAGNITUDE = 1e150

# Generic SQLAlchemy type names, which GX's type expectation matches with isinstance(), so the
# same suite holds on SQLite and PostgreSQL.
_TYPE_FAMILIES = (
    (sa.Boolean, "Boolean"),
    (sa.Integer, "Integer"),
    (sa.Float, "Float"),
    (sa.Numeric, "Numeric"),
    (sa.DateTime, "DateTime"),
    (sa.Date, "Date"),
    (sa.String, "String"),
)


# Names GX accepts for each family: PostgreSQL compares the reflected class name, SQLite looks
# each name up in its dialect module and uses isinstance(), so a list covers both.
_TYPE_NAMES = {
    "Boolean": ("BOOLEAN",),
    "Integer": ("INTEGER", "BIGINT", "SMALLINT"),
    "Float": ("FLOAT", "REAL", "DOUBLE_PRECISION", "DOUBLE PRECISION"),
    "Numeric": ("NUMERIC", "DECIMAL"),
    "DateTime": ("DATETIME", "TIMESTAMP"),
    "Date": ("DATE",),
    "String": ("TEXT", "VARCHAR", "CHAR"),
}


def type_family(sql_type: sa.types.TypeEngine) -> str:
    for cls, name in _TYPE_FAMILIES:
        if isinstance(sql_type, cls):
            return name
    return type(sql_type).__name__


def checkable_type_names(dialect: sa.Dialect, sql_type: sa.types.TypeEngine) -> list[str] | None:
    """Type names for GX's type expectation that match ``sql_type`` on ``dialect``, or None when
    GX cannot recognise it there (SQLite has no BIGINT class to compare with)."""
    import importlib

    exact = type(sql_type).__name__
    names = sorted({exact, *_TYPE_NAMES.get(type_family(sql_type), ())})
    if dialect.name == "postgresql":
        return names
    try:
        module = importlib.import_module(f"sqlalchemy.dialects.{dialect.name}")
    except ImportError:
        return names
    classes = tuple(c for c in (getattr(module, n, None) for n in names) if isinstance(c, type))
    return names if classes and isinstance(sql_type, classes) else None


@dataclass
class ColumnProfile:
    """One column over the reference window: per-day statistics and pooled distribution data."""

    name: str
    type_family: str
    numeric: bool
    type_names: list[str] | None = None
    daily: dict[str, list[float]] = field(default_factory=dict)
    samples: list[list[float]] = field(default_factory=list)
    value_counts: list[Counter] = field(default_factory=list)
    most_common: list[Any] = field(default_factory=list)
    overflowed: bool = False

    def add(self, stat: str, value: float | None) -> None:
        self.daily.setdefault(stat, []).append(float("nan") if value is None else float(value))


@dataclass
class TableProfile:
    table: str
    date_column: str
    days: list[dt.date]
    row_counts: list[int]
    columns: dict[str, ColumnProfile]

    @property
    def label(self) -> str:
        return f"{self.days[0].isoformat()}..{self.days[-1].isoformat()}"


def _profile_numeric(col: ColumnProfile, values: Any, rng: Any, sample_per_day: int) -> None:
    import numpy as np
    import pandas as pd

    numbers = pd.to_numeric(values.dropna(), errors="coerce").dropna().to_numpy(dtype=float)
    # An infinity is not a measurement: it is counted as its own share of the non-null values
    # (GX's ``mostly`` counts the same way) and left out of every statistic, so that means,
    # extremes and the bands built on them stay finite.
    finite = np.isfinite(numbers)
    present = numbers[finite]
    col.add("null_fraction", float(values.isna().mean()) if len(values) else None)
    col.add("nonfinite_fraction", float((~finite).mean()) if len(numbers) else None)
    if len(present) and np.abs(present).max() > MAX_MAGNITUDE:
        # Squares (standard deviations) of such values overflow to infinity: no finite band.
        raise TrainguardError(
            f"column {col.name!r} holds values beyond +-{MAX_MAGNITUDE:g}, too large to profile; "
            f"leave it out with --exclude {col.name}"
        )
    if len(present) == 0:
        for stat in ("mean", "stdev", "min", "max", "distinct", *(f"q{q}" for q in QUANTILES)):
            col.add(stat, None)
        col.samples.append([])
        return
    col.add("mean", present.mean())
    col.add("stdev", present.std(ddof=1) if len(present) > 1 else 0.0)
    col.add("min", present.min())
    col.add("max", present.max())
    col.add("distinct", len(np.unique(present)))
    for q, value in zip(QUANTILES, np.quantile(present, QUANTILES), strict=True):
        col.add(f"q{q}", value)
    if len(present) > sample_per_day:
        present = rng.choice(present, size=sample_per_day, replace=False)
    col.samples.append(present.tolist())
    counts = Counter(present.tolist()) if len(np.unique(present)) <= TOP_VALUES_PER_DAY else Counter()
    col.value_counts.append(counts)
    col.most_common.append(counts.most_common(1)[0][0] if counts else None)


def _profile_text(col: ColumnProfile, values: Any) -> None:
    col.add("null_fraction", float(values.isna().mean()) if len(values) else None)
    present = values.dropna().astype(str)
    counts = present.value_counts()
    col.add("distinct", len(counts))
    col.add("unique_proportion", len(counts) / len(present) if len(present) else None)
    if len(counts) > TOP_VALUES_PER_DAY:
        col.overflowed = True
        counts = counts.iloc[:TOP_VALUES_PER_DAY]
    col.value_counts.append(Counter({str(k): int(v) for k, v in counts.items()}))
    col.most_common.append(str(counts.index[0]) if len(counts) else None)


def profile_window(
    engine: sa.Engine,
    table: str,
    date_column: str,
    days: Sequence[dt.date],
    columns: Sequence[str] | None = None,
    *,
    sample_per_day: int = 20_000,
    seed: int = 0,
) -> TableProfile:
    """Profile ``columns`` (default: all but the date column) of ``table`` over ``days``."""
    import numpy as np

    existing_columns(engine, table)
    types = {c["name"]: c["type"] for c in sa.inspect(engine).get_columns(table)}
    if date_column not in types:
        raise NotFoundError(f"table {table!r} has no date column {date_column!r}")
    wanted = [c for c in (columns or types) if c != date_column]
    missing = [c for c in wanted if c not in types]
    if missing:
        raise NotFoundError(f"table {table!r} has no column(s) {', '.join(missing)}")
    profiles = {
        name: ColumnProfile(
            name,
            type_family(types[name]),
            type_family(types[name]) in ("Integer", "Float", "Numeric"),
            checkable_type_names(engine.dialect, types[name]),
        )
        for name in wanted
    }
    rng = np.random.default_rng(seed)
    row_counts = []
    for day in days:
        frame = read_days(engine, table, date_column, [day], wanted)
        if frame.empty:
            raise TrainguardError(
                f"reference day {day.isoformat()} has no rows in {table!r}; pick a window of complete days"
            )
        row_counts.append(len(frame))
        for name, col in profiles.items():
            if col.numeric:
                _profile_numeric(col, frame[name], rng, sample_per_day)
            else:
                _profile_text(col, frame[name])
    return TableProfile(table, date_column, list(days), row_counts, profiles)
