"""Load a CSV or Parquet file into a daily-partitioned warehouse table.

The date column is normalised to ``YYYY-MM-DD`` text (what every batch predicate compares
with), rows are grouped by day, and all days are written in one transaction, so a bad file
leaves the table as it was.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from training.core.errors import NotFoundError, TrainguardError, WarehouseError
from training.warehouse.writer import write_days

if TYPE_CHECKING:
    import pandas as pd

READERS = (".csv", ".parquet", ".pq")


def read_table_file(path: Path) -> pd.DataFrame:
    """A CSV or Parquet file as a DataFrame, or a clear error."""
    import pandas as pd

    if not path.is_file():
        raise NotFoundError(f"no such file: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(path)
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise TrainguardError(f"cannot read {path.name}: {exc}") from exc
    raise TrainguardError(f"unsupported file type {suffix or '(none)'!r}: use one of {', '.join(READERS)}")


def normalise_days(values: pd.Series, date_column: str) -> pd.Series:
    """Dates, datetimes or date strings as ``datetime.date``; names the first bad value."""
    import pandas as pd

    if values.isna().any():
        row = int(values.isna().to_numpy().nonzero()[0][0])
        raise TrainguardError(f"date column {date_column!r} is empty in data row {row + 1}")
    if pd.api.types.is_integer_dtype(values):
        # 20260501 read from a CSV is a number, and to_datetime would take it for nanoseconds.
        parsed = pd.to_datetime(values.astype(str), errors="coerce", format="%Y%m%d")
    else:
        parsed = pd.to_datetime(
            values.astype(str) if values.dtype == object else values, errors="coerce", format="mixed"
        )
    if parsed.isna().any():
        row = int(parsed.isna().to_numpy().nonzero()[0][0])
        raise TrainguardError(
            f"date column {date_column!r} has a value that is not a date in data row {row + 1}: {values.iloc[row]!r}"
        )
    return parsed.dt.date


def check_mixed_types(frame: pd.DataFrame, skip: str) -> None:
    """A column that is numbers except for a few values is a data error, not a text column."""
    import pandas as pd

    for name in frame.columns:
        values = frame[name]
        if name == skip or not (values.dtype == object or pd.api.types.is_string_dtype(values)):
            continue
        present = values.dropna()
        numeric = pd.to_numeric(present, errors="coerce")
        bad = numeric.isna()
        if len(present) and bad.any() and (~bad).mean() >= 0.95:
            row = int(present.index[bad.to_numpy()][0])
            value = values.iloc[row]
            raise TrainguardError(f"column {name!r} is numeric except in data row {row + 1}: {value!r}")


def load_file(
    engine: sa.Engine, table: str, path: Path, date_column: str, *, replace: bool = True
) -> dict[dt.date, int]:
    """Load ``path`` into ``table``; returns rows written per day."""
    frame = read_table_file(path)
    if date_column not in frame.columns:
        found = ", ".join(map(str, frame.columns))
        raise TrainguardError(f"{path.name} has no column {date_column!r} (columns: {found})")
    if frame.empty:
        raise TrainguardError(f"{path.name} has no rows")
    check_mixed_types(frame, date_column)
    days = normalise_days(frame[date_column], date_column)
    data = frame.drop(columns=[date_column])
    by_day = {day: part.reset_index(drop=True) for day, part in data.groupby(days.to_numpy(), sort=True)}
    import pandas as pd

    try:
        return write_days(engine, table, date_column, by_day, replace=replace)
    except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError) as exc:
        raise WarehouseError(
            f"loading {path.name} into {table!r} failed, nothing was written: {_root_cause(exc)}"
        ) from exc


def _root_cause(exc: BaseException) -> str:
    """The database's own message, first line only (pandas and SQLAlchemy wrap it twice)."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return str(exc).strip().splitlines()[0]
