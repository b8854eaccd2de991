"""Load a CSV or Parquet file into a daily-partitioned warehouse table.

The date column is normalised to ``YYYY-MM-DD`` text (what every batch predicate compares
with), rows are grouped by day, and all days are written in one transaction, so a bad file
leaves the table as it was.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import sqlalchemy as sa

from training.core.errors import NotFoundError, TrainguardError, WarehouseError
from training.warehouse.writer import write_days

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa

READERS = (".csv", ".parquet", ".pq")
INT64_MAX = 2**63 - 1
# Year first ("2026-09-01", "2026/9/1", "2026-09-01T10:00", ...): never read two ways, so
# any mix of these is one format as far as the day is concerned.
_YEAR_FIRST = re.compile(r"^\s*\d{4}([-/.])\d{1,2}\1\d{1,2}(?:[ T]|\s*$)")
# An offset after a time of day ("10:00+02:00", "10:00:00Z"); a bare date's "-01" is not one.
_UTC_OFFSET = r"\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)\s*$"
_FORMAT_HINT = "pass --date-format (strftime, e.g. %d/%m/%Y)"


def _storable_arrow_type(kind: pa.DataType) -> bool:
    """Whether a Parquet column of this type becomes a column that can be stored as is."""
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        return _storable_arrow_type(kind.value_type)
    checks = (
        pa.types.is_null,
        pa.types.is_boolean,
        pa.types.is_integer,
        pa.types.is_floating,
        pa.types.is_string,
        pa.types.is_large_string,
        pa.types.is_string_view,
        pa.types.is_date,
        pa.types.is_timestamp,
    )
    return any(check(kind) for check in checks)


def _check_parquet_schema(path: Path) -> None:
    """Refuse nested and other unsupported Parquet types before reading: pandas turns a list
    into arrays that the database driver stores as raw bytes, and a struct into dicts it rejects."""
    import pyarrow.parquet as pq

    for field in pq.read_schema(path):
        if not _storable_arrow_type(field.type):
            raise TrainguardError(
                f"column {field.name!r} of {path.name} has type {field.type}, which cannot be stored in a table "
                "(only numbers, booleans, text, dates and timestamps can): flatten or cast it first"
            )


def _check_csv_text(path: Path) -> None:
    """A CSV is text: NUL bytes mean a binary file (pandas would store them as text). Its
    header must name each column once, ignoring case, and none empty: pandas renames
    duplicates (``amount.1``) and empty names (``Unnamed: 1``), and a warehouse ignores the
    case of names, so either would load a different column than the file shows."""
    import csv

    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            if b"\0" in chunk:
                raise TrainguardError(f"cannot read {path.name}: it holds NUL bytes, so it is not a CSV text file")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), [])
    except (UnicodeDecodeError, csv.Error):
        return  # pandas names the problem
    seen: dict[str, str] = {}
    for position, name in enumerate(header, start=1):
        if not name.strip():
            if len(header) > 1:
                raise TrainguardError(f"{path.name} has an empty column name in header position {position}")
            continue
        other = seen.get(name.lower())
        if other == name:
            raise TrainguardError(f"{path.name} has duplicate column name {name!r} in its header")
        if other is not None:
            raise TrainguardError(
                f"{path.name} has columns {other!r} and {name!r}, whose names differ only in case: "
                "a warehouse takes them for one column"
            )
        seen[name.lower()] = name


def read_table_file(path: Path) -> pd.DataFrame:
    """A CSV or Parquet file as a DataFrame, or a clear error."""
    import pandas as pd

    if path.is_dir():
        raise TrainguardError(f"{path} is a folder, not a file: pass a .csv or .parquet file")
    if not path.is_file():
        raise NotFoundError(f"no such file: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            _check_csv_text(path)
            return pd.read_csv(path)
        if suffix in (".parquet", ".pq"):
            _check_parquet_schema(path)
            return pd.read_parquet(path)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise TrainguardError(f"cannot read {path.name}: {exc}") from exc
    raise TrainguardError(f"unsupported file type {suffix or '(none)'!r}: use one of {', '.join(READERS)}")


def _shown(values: pd.Series, rows: Any, limit: int = 3) -> str:
    """``'value' in data row N`` for the first ``limit`` of ``rows`` (positions)."""
    return ", ".join(f"{values.iloc[row]!r} in data row {row + 1}" for row in list(rows)[:limit])


def _first_per_shape(texts: pd.Series, limit: int = 4) -> list[int]:
    """Positions of the first value of each written shape (digits and words generalised)."""
    shapes = texts.str.replace(r"\d", "9", regex=True).str.replace(r"[^\W\d_]+", "a", regex=True)
    firsts = shapes.drop_duplicates()
    return [texts.index.get_loc(i) for i in firsts.index[:limit]]


def _check_one_offset(texts: pd.Series, date_column: str) -> None:
    """Timestamps at different UTC offsets (or some with one, some without) fall on days that
    depend on the time zone chosen: refused rather than guessed."""
    offsets = texts.str.extract(_UTC_OFFSET, expand=False)
    normalised = offsets.str.replace("Z", "+00:00").str.replace(r"^([+-]\d{2})$", r"\1:00", regex=True)
    normalised = normalised.str.replace(r"^([+-]\d{2})(\d{2})$", r"\1:\2", regex=True).fillna("none")
    firsts = normalised.drop_duplicates()
    if len(firsts) > 1:
        rows = [texts.index.get_loc(i) for i in firsts.index]
        raise TrainguardError(
            f"date column {date_column!r} mixes UTC offsets ({_shown(texts, rows)}), so its days depend on "
            "the time zone: convert it to one offset first"
        )


def _parse(texts: pd.Series, date_format: str, date_column: str) -> pd.Series:
    import pandas as pd

    try:
        return pd.to_datetime(texts, format=date_format, errors="coerce")
    except ValueError as exc:
        # A bad directive in --date-format, or offsets the format cannot put on one time line.
        reason = str(exc).strip().splitlines()[0]
        raise TrainguardError(
            f"date column {date_column!r} cannot be read with format {date_format!r}: {reason}"
        ) from exc


def _readings(date_format: str) -> list[str]:
    """The format and, when it has both, its day and month swapped."""
    if "%m" not in date_format or "%d" not in date_format:
        return [date_format]
    return [date_format, date_format.replace("%m", "\0").replace("%d", "%m").replace("\0", "%d")]


def _parse_one_format(texts: pd.Series, date_column: str) -> pd.Series:
    """Values that are not year first must all share one format, and one reading of it:
    ``09/02/2026`` is refused unless a value such as ``13/02/2026`` settles day/month."""
    import numpy as np
    from pandas.tseries.api import guess_datetime_format

    first = texts.iloc[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # guessing warns about dayfirst; the choice is made below
        guessed = [guess_datetime_format(first), guess_datetime_format(first, dayfirst=True)]
    candidates = list(dict.fromkeys(f for g in guessed if g for f in _readings(g)))
    if not candidates:
        raise TrainguardError(f"date column {date_column!r} has a value that is not a date in data row 1: {first!r}")
    parsed = {fmt: _parse(texts, fmt, date_column) for fmt in candidates}
    complete = [fmt for fmt in candidates if parsed[fmt].notna().all()]
    if not complete:
        best = max(candidates, key=lambda fmt: int(parsed[fmt].notna().sum()))
        misfits = parsed[best].isna().to_numpy().nonzero()[0]
        raise TrainguardError(
            f"date column {date_column!r} mixes date formats: {_shown(texts, [0, *misfits])}; {_FORMAT_HINT}"
        )
    readings = [parsed[fmt] for fmt in complete]
    differ = np.zeros(len(texts), dtype=bool)
    for other in readings[1:]:
        differ |= (readings[0] != other).to_numpy()
    if differ.any():
        raise TrainguardError(
            f"date column {date_column!r} is ambiguous, day/month or month/day ({' or '.join(complete)}): "
            f"{_shown(texts, differ.nonzero()[0])}; {_FORMAT_HINT}"
        )
    return readings[0]


def _parse_given_format(values: pd.Series, texts: pd.Series, date_format: str, date_column: str) -> pd.Series:
    _check_one_offset(texts, date_column)
    parsed = _parse(texts, date_format, date_column)
    misfits = parsed.isna().to_numpy().nonzero()[0]
    if len(misfits):
        raise TrainguardError(
            f"date column {date_column!r} has values not in --date-format {date_format!r}: {_shown(values, misfits)}"
        )
    return parsed


def _refuse_mixed(values: pd.Series, texts: pd.Series, year_first: np.ndarray, date_column: str) -> NoReturn:
    """Some values are year first, others are not: name a value that is no date at all, else
    show one value of each format."""
    import pandas as pd

    other = (~year_first).nonzero()[0]
    try:
        readable = pd.to_datetime(texts.iloc[other], format="mixed", errors="coerce")
    except ValueError:  # dates, at several UTC offsets: mixed formats all the same
        readable = pd.Series(pd.Timestamp(0), index=texts.index[other])
    if readable.isna().any():
        row = int(other[readable.isna().to_numpy().nonzero()[0][0]])
        raise TrainguardError(
            f"date column {date_column!r} has a value that is not a date in data row {row + 1}: {values.iloc[row]!r}"
        )
    # One value of each format: the first year-first one, then the others' shapes.
    rows = [int(year_first.nonzero()[0][0]), *(int(other[i]) for i in _first_per_shape(texts.iloc[other], 3))]
    raise TrainguardError(
        f"date column {date_column!r} mixes date formats: {_shown(values, sorted(rows))}; {_FORMAT_HINT}"
    )


def normalise_days(values: pd.Series, date_column: str, date_format: str | None = None) -> pd.Series:
    """Dates, datetimes or date strings as ``datetime.date``; names the first bad value.

    Year-first text (``2026-09-01``, ``2026/09/01 10:00``) is read as is; any other text must
    be in a single format that reads one way only, unless ``date_format`` (strftime) is given.
    """
    import pandas as pd

    values = values.reset_index(drop=True)
    if values.isna().any():
        row = int(values.isna().to_numpy().nonzero()[0][0])
        raise TrainguardError(f"date column {date_column!r} is empty in data row {row + 1}")
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.date
    texts = values.astype(str).str.strip()
    if date_format is not None:
        return _parse_given_format(values, texts, date_format, date_column).dt.date
    if pd.api.types.is_integer_dtype(values):
        # 20260501 read from a CSV is a number, and to_datetime would take it for nanoseconds.
        parsed = pd.to_datetime(texts, errors="coerce", format="%Y%m%d")
    else:
        year_first = texts.str.match(_YEAR_FIRST).to_numpy()
        if year_first.all():
            _check_one_offset(texts, date_column)
            parsed = _parse(texts, "ISO8601", date_column)
        elif year_first.any():
            _refuse_mixed(values, texts, year_first, date_column)
        else:
            _check_one_offset(texts, date_column)
            parsed = _parse_one_format(texts, date_column)
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


# What an object column may hold: the driver binds these (dates by pandas); anything else
# (bytes, lists, dicts, decimals) is rejected by it or, worse, stored as raw bytes.
_STORABLE_VALUES = (str, bool, int, float, dt.date, dt.datetime)


def storable_frame(frame: pd.DataFrame, skip: str) -> pd.DataFrame:
    """``frame`` with unsigned 64-bit columns as signed ones, or an error naming the first
    column whose type or value no warehouse column can hold."""
    import numpy as np
    import pandas as pd

    for name in frame.columns:
        values = frame[name]
        if name == skip:
            continue
        if pd.api.types.is_unsigned_integer_dtype(values) and values.dtype.itemsize == 8:
            # pandas' to_sql refuses uint64 outright; values that fit are stored as BIGINT.
            too_big = (values > INT64_MAX).fillna(False).to_numpy()
            if too_big.any():
                row = int(too_big.nonzero()[0][0])
                raise TrainguardError(
                    f"column {name!r} has a value above the 64-bit integer range in data row {row + 1}: "
                    f"{values.iloc[row]}"
                )
            frame = frame.astype({name: "Int64" if values.hasnans else np.int64})
        elif values.dtype == object:
            present = values.dropna()
            kinds = present.map(type)
            odd = ~kinds.map(lambda kind: issubclass(kind, _STORABLE_VALUES)).astype(bool)
            if odd.any():
                row = int(frame.index.get_loc(present.index[odd.to_numpy()][0]))
                raise TrainguardError(
                    f"column {name!r} holds {type(values.iloc[row]).__name__} values (data row {row + 1}), "
                    "which cannot be stored in a table"
                )
            too_big = (
                present[kinds.map(lambda kind: kind is int).astype(bool)]
                .map(lambda v: not -INT64_MAX - 1 <= v <= INT64_MAX)
                .astype(bool)
            )
            if too_big.any():
                row = int(frame.index.get_loc(too_big.index[too_big.to_numpy()][0]))
                raise TrainguardError(
                    f"column {name!r} has a value outside the 64-bit integer range in data row {row + 1}: "
                    f"{values.iloc[row]}"
                )
        elif not (
            pd.api.types.is_bool_dtype(values)
            or (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_complex_dtype(values))
            or pd.api.types.is_string_dtype(values)
            or pd.api.types.is_datetime64_any_dtype(values)
            or isinstance(values.dtype, pd.CategoricalDtype)
        ):
            raise TrainguardError(f"column {name!r} has type {values.dtype}, which cannot be stored in a table")
    return frame


def load_file(
    engine: sa.Engine,
    table: str,
    path: Path,
    date_column: str,
    *,
    replace: bool = True,
    date_format: str | None = None,
) -> dict[dt.date, int]:
    """Load ``path`` into ``table``; returns rows written per day. ``date_format`` (strftime)
    is how the date column's text is written, when it is not year first."""
    frame = read_table_file(path)
    if date_column not in frame.columns:
        found = ", ".join(map(str, frame.columns))
        raise TrainguardError(f"{path.name} has no column {date_column!r} (columns: {found})")
    if frame.empty:
        raise TrainguardError(f"{path.name} has no rows")
    check_mixed_types(frame, date_column)
    frame = storable_frame(frame, date_column)
    days = normalise_days(frame[date_column], date_column, date_format)
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
