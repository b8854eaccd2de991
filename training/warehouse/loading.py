"""Load a CSV or Parquet file into a daily-partitioned warehouse table.

The date column is normalised to ``YYYY-MM-DD`` text (what every batch predicate compares
with), rows are grouped by day, and all days are written in one transaction, so a bad file
leaves the table as it was.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import sqlalchemy as sa

from training.core.errors import TrainguardError, WarehouseError
from training.warehouse.files import merged_dtype, read_ahead, read_chunks
from training.warehouse.writer import write_parts

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

INT64_MAX = 2**63 - 1
# Year first ("2026-09-01", "2026/9/1", "2026-09-01T10:00", ...): never read two ways, so
# any mix of these is one format as far as the day is concerned.
_YEAR_FIRST = re.compile(r"^\s*\d{4}([-/.])\d{1,2}\1\d{1,2}(?:[ T]|\s*$)")
# An offset after a time of day ("10:00+02:00", "10:00:00Z"); a bare date's "-01" is not one.
_UTC_OFFSET = r"\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)\s*$"
_FORMAT_HINT = "pass --date-format (strftime, e.g. %d/%m/%Y)"


def _shown(values: pd.Series, rows: Any, limit: int = 3) -> str:
    """``'value' in data row N`` for the first ``limit`` of ``rows`` (positions)."""
    return ", ".join(f"{values.iloc[row]!r} in data row {values.index[row] + 1}" for row in list(rows)[:limit])


def _first_per_shape(texts: pd.Series, limit: int = 4) -> list[int]:
    """Positions of the first value of each written shape (digits and words generalised)."""
    shapes = texts.str.replace(r"\d", "9", regex=True).str.replace(r"[^\W\d_]+", "a", regex=True)
    firsts = shapes.drop_duplicates()
    return [texts.index.get_loc(i) for i in firsts.index[:limit]]


def _offsets(texts: pd.Series) -> pd.Series:
    """Each value's UTC offset written one way (``+02:00``), or ``none``; indexed as ``texts``."""
    offsets = texts.str.extract(_UTC_OFFSET, expand=False)
    normalised = offsets.str.replace("Z", "+00:00").str.replace(r"^([+-]\d{2})$", r"\1:00", regex=True)
    return normalised.str.replace(r"^([+-]\d{2})(\d{2})$", r"\1:\2", regex=True).fillna("none")


def _check_one_offset(texts: pd.Series, date_column: str) -> None:
    """Timestamps at different UTC offsets (or some with one, some without) fall on days that
    depend on the time zone chosen: refused rather than guessed."""
    firsts = _offsets(texts).drop_duplicates()
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
            f"date column {date_column!r} has a value that is not a date in data row {values.index[row] + 1}: "
            f"{values.iloc[row]!r}"
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

    if values.isna().any():
        row = int(values.isna().to_numpy().nonzero()[0][0])
        raise TrainguardError(f"date column {date_column!r} is empty in data row {values.index[row] + 1}")
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
            f"date column {date_column!r} has a value that is not a date in data row {values.index[row] + 1}: "
            f"{values.iloc[row]!r}"
        )
    return parsed.dt.date


def check_mixed_types(frame: pd.DataFrame, skip: str) -> None:
    """A column that is numbers except for a few values is a data error, not a text column."""
    counts = MixedTypes(skip)
    counts.add(frame)
    counts.check()


class MixedTypes:
    """``check_mixed_types`` over a file read in chunks: counts per text column its values and
    those that are not numbers (the first one kept for the message), decided at the end."""

    def __init__(self, skip: str) -> None:
        self.skip = skip
        self.columns: dict[str, list[Any]] = {}  # name -> [values, not numbers, first such (row, value)]

    def add(self, chunk: pd.DataFrame) -> None:
        import pandas as pd

        for name in chunk.columns:
            if name == self.skip:
                continue
            values = chunk[name]
            counts = self.columns.setdefault(name, [0, 0, None])
            present = values.dropna()
            counts[0] += len(present)
            if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
                continue
            # Each distinct value parsed once (a text column repeats its categories).
            distinct = present.value_counts(sort=False)
            words = distinct[pd.to_numeric(distinct.index.to_series(), errors="coerce").isna().to_numpy()]
            if len(words):
                counts[1] += int(words.sum())
                if counts[2] is None:
                    row = present.index[present.isin(words.index).to_numpy()][0]
                    counts[2] = (int(row), values.loc[row])

    def check(self, text_columns: set[str] | None = None) -> None:
        """Raise for the first column (of ``text_columns``, when given: the whole file's text
        columns) whose values are at least 95% numbers but not all."""
        for name, (present, bad, first) in self.columns.items():
            if text_columns is not None and name not in text_columns:
                continue
            if present and bad and (present - bad) / present >= 0.95:
                row, value = first
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
                    f"column {name!r} has a value above the 64-bit integer range in data row "
                    f"{frame.index[row] + 1}: {values.iloc[row]}"
                )
            frame = frame.astype({name: "Int64" if values.hasnans else np.int64})
        elif values.dtype == object:
            present = values.dropna()
            kinds = present.map(type)
            odd = ~kinds.map(lambda kind: issubclass(kind, _STORABLE_VALUES)).astype(bool)
            if odd.any():
                row = present.index[odd.to_numpy()][0]
                raise TrainguardError(
                    f"column {name!r} holds {type(values.loc[row]).__name__} values (data row {row + 1}), "
                    "which cannot be stored in a table"
                )
            too_big = (
                present[kinds.map(lambda kind: kind is int).astype(bool)]
                .map(lambda v: not -INT64_MAX - 1 <= v <= INT64_MAX)
                .astype(bool)
            )
            if too_big.any():
                row = too_big.index[too_big.to_numpy()][0]
                raise TrainguardError(
                    f"column {name!r} has a value outside the 64-bit integer range in data row {row + 1}: "
                    f"{values.loc[row]}"
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


class _Reread(Exception):  # noqa: N818 (a signal, not an error)
    """A later chunk read a column as another type than the first: read the file again with
    the whole file's types (``files.merged_dtype``)."""

    def __init__(self, dtypes: dict[str, str]) -> None:
        super().__init__(dtypes)
        self.dtypes = dtypes


class _Days:
    """Each chunk's date column as days, read as ``normalise_days`` reads a whole column.

    Each chunk's distinct values are read (their first rows name a bad value), and the file's
    first chunk decides how its dates are written: a later chunk written another way, or at
    another UTC offset, is refused as ``normalise_days`` refuses such a column. Text that is not
    year first must be read one way across the whole file (``09/02`` is settled by a ``13/02``
    anywhere), so it is decided up front from the distinct values of the whole column."""

    def __init__(self, path: Path, date_column: str, date_format: str | None) -> None:
        self.path, self.date_column, self.date_format = path, date_column, date_format
        self.first: tuple[str, int, Any] | None = None  # (how written, row, value) of the file's first value
        self.offsets: dict[str, tuple[int, Any]] = {}  # UTC offset -> its first (row, value)
        self.whole_file: dict[Any, dt.date] | None = None

    def __call__(self, values: pd.Series) -> pd.Series:
        distinct = values.drop_duplicates()
        if distinct.empty:
            return distinct
        if distinct.isna().any():
            normalise_days(distinct, self.date_column, self.date_format)  # names the empty row
        if self.whole_file is not None:
            return values.map(self.whole_file)
        how = self._how(distinct)
        if self.first is None:
            self.first = (how, int(distinct.index[0]), distinct.iloc[0])
            if how == "other":
                self.whole_file = self._decided_up_front()
                return values.map(self.whole_file)
        elif how != self.first[0]:
            # The file's first value beside this chunk's: refused as in a column read whole
            # (a value that is no date at all, or one value of each format).
            import pandas as pd

            _, row, value = self.first
            both = pd.concat([pd.Series([value], index=[row], dtype=object), distinct.astype(object)])
            normalise_days(both, self.date_column, self.date_format)
            raise TrainguardError(
                f"date column {self.date_column!r} mixes date formats: {value!r} in data row {row + 1}, "
                f"{distinct.iloc[0]!r} in data row {distinct.index[0] + 1}; {_FORMAT_HINT}"
            )
        days = normalise_days(distinct, self.date_column, self.date_format)
        if how in ("year first", "format"):
            self._same_offset(distinct)
        return values.map(dict(zip(distinct.tolist(), days.tolist(), strict=True)))

    def _how(self, distinct: pd.Series) -> str:
        """How the dates are written, as ``normalise_days`` tells them apart."""
        import pandas as pd

        if pd.api.types.is_datetime64_any_dtype(distinct):
            return "datetime"
        if self.date_format is not None:
            return "format"
        if pd.api.types.is_integer_dtype(distinct):
            return "integer"
        year_first = distinct.astype(str).str.strip().str.match(_YEAR_FIRST)
        if year_first.all():
            return "year first"
        return "other" if not year_first.any() else "mixed"

    def _same_offset(self, distinct: pd.Series) -> None:
        texts = distinct.astype(str).str.strip()
        for row, offset in _offsets(texts).drop_duplicates().items():
            self.offsets.setdefault(offset, (int(row), distinct.loc[row]))
        if len(self.offsets) > 1:
            shown = ", ".join(f"{value!r} in data row {row + 1}" for row, value in list(self.offsets.values())[:3])
            raise TrainguardError(
                f"date column {self.date_column!r} mixes UTC offsets ({shown}), so its days depend on "
                "the time zone: convert it to one offset first"
            )

    def _decided_up_front(self) -> dict[Any, dt.date]:
        """Every distinct value of the date column (at its first row), read at once."""
        import pandas as pd

        first_rows: dict[Any, int] = {}
        for chunk in read_chunks(self.path, columns=[self.date_column]):
            for row, value in chunk[self.date_column].drop_duplicates().items():
                first_rows.setdefault(value, int(row))
        distinct = pd.Series(list(first_rows), index=list(first_rows.values()))
        days = normalise_days(distinct, self.date_column, self.date_format)
        return dict(zip(distinct.tolist(), days.tolist(), strict=True))


_Part = tuple[dt.date, "pd.DataFrame"]


def _parts(path: Path, date_column: str, date_format: str | None, dtypes: dict[str, str]) -> Iterator[_Part]:
    """The file's rows as (day, rows) parts, chunk by chunk, checked as ``load_file`` promises.
    The first chunk is read and checked here, before anything is written; the parts raise
    ``_Reread`` when a chunk reads a column as another type than the first chunk did."""
    chunks = read_chunks(path, dtypes)
    first = next(chunks)
    if date_column not in first.columns:
        found = ", ".join(map(str, first.columns))
        raise TrainguardError(f"{path.name} has no column {date_column!r} (columns: {found})")
    if first.empty:
        raise TrainguardError(f"{path.name} has no rows")
    return _checked_parts(itertools.chain([first], chunks), path, date_column, date_format)


def _checked_parts(
    chunks: Iterator[pd.DataFrame], path: Path, date_column: str, date_format: str | None
) -> Iterator[_Part]:
    import pandas as pd

    kinds: dict[str, list[Any]] = {}
    mixed = MixedTypes(date_column)
    days_of = _Days(path, date_column, date_format)
    for chunk in chunks:
        changed = {}
        for name in chunk.columns:
            found = kinds.setdefault(name, [chunk[name].dtype])
            if chunk[name].dtype != found[0]:
                found.append(chunk[name].dtype)
                changed[name] = merged_dtype(found)
        casts = {name: kind for name, kind in changed.items() if kind == "float64" and kinds[name][0] == kind}
        if len(casts) < len(changed):
            raise _Reread({name: kind for name, kind in changed.items() if name not in casts})
        chunk = chunk.astype(casts) if casts else chunk
        mixed.add(chunk)
        chunk = storable_frame(chunk, date_column)
        days = days_of(chunk[date_column])
        data = chunk.drop(columns=[date_column])
        yield from data.groupby(days.to_numpy(), sort=True)
    mixed.check({name for name, found in kinds.items() if pd.api.types.is_string_dtype(found[0])})


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
    is how the date column's text is written, when it is not year first.

    The file is read in chunks (``files.CHUNK_ROWS`` rows) and written as it is read, in one
    transaction (``COPY`` on PostgreSQL): memory stays flat in the file's size, and a bad value
    anywhere, found when its chunk is read, rolls back everything written before it. When a
    later chunk reads a column as another type than the first (a fraction in an integer
    column), the load starts again with the whole file's type."""
    import pandas as pd

    dtypes: dict[str, str] = {}
    while True:
        try:
            parts = read_ahead(_parts(path, date_column, date_format, dtypes))
            return write_parts(engine, table, date_column, parts, replace=replace)
        except _Reread as again:
            dtypes.update(again.dtypes)
        except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError) as exc:
            raise WarehouseError(
                f"loading {path.name} into {table!r} failed, nothing was written: {_root_cause(exc)}"
            ) from exc


def _root_cause(exc: BaseException) -> str:
    """The database's own message, first line only (pandas and SQLAlchemy wrap it twice)."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return str(exc).strip().splitlines()[0]
