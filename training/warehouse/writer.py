"""Writing daily partitions: a day is replaced as a whole, in one transaction."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

import sqlalchemy as sa

from training.core.errors import TrainguardError
from training.warehouse.identifiers import check_identifier, quote
from training.warehouse.partitions import day_str

if TYPE_CHECKING:
    import pandas as pd


def _sql_type(series: pd.Series) -> sa.types.TypeEngine:
    import pandas as pd

    if pd.api.types.is_bool_dtype(series):
        return sa.Boolean()
    if pd.api.types.is_integer_dtype(series):
        # SQLite's INTEGER is already 64-bit, and GX's type expectation cannot name BIGINT there.
        return sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
    if pd.api.types.is_float_dtype(series):
        return sa.Float()
    return sa.Text()


def _create_table(conn: sa.Connection, table: str, date_column: str, frame: pd.DataFrame) -> sa.Index:
    """Create ``table`` for ``frame``'s columns; return its date index, to be created once the
    rows are in (one sort of the whole table is faster than updating the index row by row)."""
    columns = [sa.Column(date_column, sa.Text(), nullable=False)]
    columns += [sa.Column(name, _sql_type(frame[name])) for name in frame.columns if name != date_column]
    sa_table = sa.Table(table, sa.MetaData(), *columns)
    sa_table.create(conn)
    return sa.Index(f"ix_{table}_{date_column}", sa_table.c[date_column])


def _column_types(conn: sa.Connection, table: str) -> dict[str, sa.types.TypeEngine]:
    return {c["name"]: c["type"] for c in sa.inspect(conn).get_columns(table)}


def _add_missing_columns(
    conn: sa.Connection, table: str, frame: pd.DataFrame, types: dict[str, sa.types.TypeEngine]
) -> bool:
    """Add ``frame``'s columns that ``table`` (whose columns are ``types``) lacks; whether any."""
    missing = [name for name in frame.columns if name not in types]
    for name in missing:
        type_sql = _sql_type(frame[name]).compile(dialect=conn.dialect)
        conn.execute(
            sa.text(f"ALTER TABLE {quote(conn.engine, table)} ADD COLUMN {quote(conn.engine, name)} {type_sql}")
        )
    return bool(missing)


def _kind(column_type: sa.types.TypeEngine) -> str | None:
    """What a table column holds, for the type checks of a later load: None for text (and
    anything else), which takes any value."""
    if isinstance(column_type, sa.Boolean):
        return "booleans"
    if isinstance(column_type, sa.Integer):
        return "integers"
    if isinstance(column_type, sa.Numeric | sa.Float):
        return "numbers"
    return None


def _check_column_types(
    conn: sa.Connection, table: str, day: dt.date, frame: pd.DataFrame, types: dict[str, sa.types.TypeEngine]
) -> None:
    """Refuse new rows that the table's existing columns cannot hold as their type, where the
    database would change them or refuse them with a driver error: PostgreSQL rounds 2.5 into a
    BIGINT without a word (and refuses text in a numeric column).

    Not on SQLite: it stores every value as given (type affinity), so a day whose column changed
    type reaches the checkpoint, whose schema checks fail it as the type skew it is (exit 1,
    recorded with its Data Docs page), which is what the gate is for; nothing is rounded."""
    import pandas as pd

    if conn.dialect.name == "sqlite":
        return

    for name in frame.columns:
        kind = _kind(types[name]) if name in types else None
        values = frame[name].dropna()
        if kind is None or values.empty:
            continue
        if pd.api.types.is_bool_dtype(values):
            continue  # true and false: booleans, and the integers 1 and 0
        if kind == "booleans":
            if pd.api.types.is_numeric_dtype(values):
                bad = ~values.isin([0, 1])
            else:
                bad = ~values.map(lambda v: isinstance(v, bool) or v in (0, 1)).astype(bool)
        elif pd.api.types.is_numeric_dtype(values):
            # A fraction in an integer column (an infinity equals its own rounding: not one).
            bad = values != values.round() if kind == "integers" else pd.Series(False, index=values.index)
        else:
            numbers = pd.to_numeric(values, errors="coerce")
            bad = numbers.isna()
            if kind == "integers":
                bad |= numbers != numbers.round()
        if bad.any():
            value = values[bad.to_numpy()].iloc[0]
            what = "fractions" if kind == "integers" and not isinstance(value, str) else "other values"
            raise TrainguardError(
                f"column {name!r} of table {table!r} holds {kind} ({types[name]}), but the rows for {day_str(day)} "
                f"hold {what}, such as {str(value)!r}: nothing was written; fix the file or load it into a new table"
            )


def table_lock_key(table: str) -> int:
    """The PostgreSQL advisory lock key (a signed 64-bit integer) under which ``table`` is loaded."""
    digest = hashlib.blake2b(f"trainguard data load {table}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextlib.contextmanager
def load_transaction(engine: sa.Engine, table: str) -> Iterator[sa.Connection]:
    """One transaction holding a load's DDL and rows together, taken under a lock that makes
    concurrent loads of ``table`` wait for each other.

    Without the lock two first loads of a new table both find it missing, both skip the
    day's DELETE, and both insert: the day is duplicated.
    """
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            # pysqlite's own transaction handling opens a transaction only before INSERT,
            # UPDATE and DELETE, so CREATE TABLE and ALTER TABLE would commit at once and
            # survive a rollback. With the driver in autocommit mode it sends nothing of its
            # own, and BEGIN IMMEDIATE opens one transaction for DDL and rows alike; it also
            # takes SQLite's write lock up front, so a second load waits (up to the busy
            # timeout, then fails cleanly) instead of reading the table before the first commits.
            conn.execution_options(isolation_level="AUTOCOMMIT")
            dbapi = conn.connection.driver_connection
            # SQLAlchemy's transaction marks the connection as in one, so pandas' to_sql does
            # not commit on its own; with autocommit its COMMIT reaches no database transaction,
            # which is ended here explicitly (the same on every Python's sqlite3 autocommit mode).
            with conn.begin():
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    if dbapi.in_transaction:  # some errors (disk full) already rolled it back
                        conn.exec_driver_sql("ROLLBACK")
                    raise
                conn.exec_driver_sql("COMMIT")
        return
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Held to the end of the transaction; PostgreSQL's DDL is transactional already.
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": table_lock_key(table)})
        yield conn


def _with_day(frame: pd.DataFrame, date_column: str, day: dt.date) -> pd.DataFrame:
    """``frame`` with the date column first, built in one concat: a frame read from a wide CSV
    holds one block per column, and inserting a column into it warns (PerformanceWarning)."""
    import pandas as pd

    frame = frame.drop(columns=[date_column], errors="ignore")
    dates = pd.DataFrame({date_column: [day_str(day)] * len(frame)}, index=frame.index)
    return pd.concat([dates, frame], axis=1)


def write_days(
    engine: sa.Engine,
    table: str,
    date_column: str,
    frames: Mapping[dt.date, pd.DataFrame],
    *,
    replace: bool = True,
) -> dict[dt.date, int]:
    """Write several days in one transaction: all of them land, or none, schema changes included.

    With ``replace`` each day's existing rows are deleted first (a rerun does not duplicate);
    otherwise rows are appended. The table is created (indexed on the date column) or gains new
    columns as needed. Concurrent calls for one table are serialised. Returns the rows written
    per day.
    """
    return write_parts(engine, table, date_column, sorted(frames.items()), replace=replace)


def write_parts(
    engine: sa.Engine,
    table: str,
    date_column: str,
    parts: Iterable[tuple[dt.date, pd.DataFrame]],
    *,
    replace: bool = True,
) -> dict[dt.date, int]:
    """``write_days`` for rows that arrive in parts, a day possibly in several (a file read in
    chunks): one transaction for all of them, each day's old rows deleted before its first part.
    On PostgreSQL the rows are sent with ``COPY``."""
    check_identifier(table, "table")
    check_identifier(date_column, "column")
    written: dict[dt.date, int] = {}
    with load_transaction(engine, table) as conn:
        # Looked up under the lock: a load that just committed has created the table.
        existed = sa.inspect(conn).has_table(table)
        index = None
        # The table's columns, read again only when this load adds some (it holds the lock).
        types = _column_types(conn, table) if existed else None
        for day, frame in parts:
            for name in frame.columns:
                check_identifier(str(name), "column")
            frame = _with_day(frame, date_column, day)
            if types is None:
                index = _create_table(conn, table, date_column, frame)
                types = _column_types(conn, table)
            else:
                _check_column_types(conn, table, day, frame, types)
                if _add_missing_columns(conn, table, frame, types):
                    types = _column_types(conn, table)
            if existed and replace and day not in written:
                conn.execute(
                    sa.text(f"DELETE FROM {quote(engine, table)} WHERE {quote(engine, date_column)} = :day"),
                    {"day": day_str(day)},
                )
            _insert(conn, table, frame, types)
            written[day] = written.get(day, 0) + len(frame)
        if index is not None:
            index.create(conn)
    return written


def _insert(conn: sa.Connection, table: str, frame: pd.DataFrame, types: dict[str, sa.types.TypeEngine]) -> None:
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg2":
        if all(_copyable(frame[name], types.get(name)) for name in frame.columns):
            _copy(conn, table, frame, types)
            return
    frame.to_sql(table, conn, if_exists="append", index=False, chunksize=5000)


def _copyable(values: pd.Series, column_type: sa.types.TypeEngine | None) -> bool:
    """Whether the CSV text of ``values`` makes ``COPY`` store exactly what ``to_sql`` would:
    numbers into a numeric column, booleans into a boolean one, strings into a text one.
    Anything else (a boolean into a text column, which ``to_sql`` stores as ``true``; objects
    of mixed types) goes through ``to_sql``."""
    import pandas as pd

    if isinstance(column_type, sa.Boolean):
        return pd.api.types.is_bool_dtype(values)
    if isinstance(column_type, sa.Integer | sa.Float | sa.Numeric):
        return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if not isinstance(column_type, sa.String):
        return False
    if isinstance(values.dtype, pd.StringDtype):
        return True  # strings (or missing) by construction
    if values.dtype != object:
        return False
    return bool(values.dropna().map(lambda v: type(v) is str).all())


def _copy(conn: sa.Connection, table: str, frame: pd.DataFrame, types: dict[str, sa.types.TypeEngine]) -> None:
    """``COPY table (columns) FROM STDIN`` of ``frame`` as CSV written by Arrow: every value
    quoted and missing ones not, so that an empty text stays empty and a missing value is NULL;
    floats in their shortest exact form. Integral floats going into an integer column are
    written as integers (``to_sql`` lets PostgreSQL cast them; COPY would refuse ``3.0``);
    ``_check_column_types`` has refused fractions there already."""
    import io

    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as arrow_csv

    for name in frame.columns:
        if isinstance(types.get(name), sa.Integer) and pd.api.types.is_float_dtype(frame[name]):
            frame = frame.assign(**{name: frame[name].astype("Int64")})
    text = io.BytesIO()
    options = arrow_csv.WriteOptions(include_header=False, quoting_style="all_valid")
    arrow_csv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), text, options)
    text.seek(0)
    columns = ", ".join(quote(conn.engine, str(name)) for name in frame.columns)
    statement = f"COPY {quote(conn.engine, table)} ({columns}) FROM STDIN WITH (FORMAT csv)"
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.copy_expert(statement, text, size=1 << 20)
    except conn.dialect.dbapi.Error as exc:
        # As SQLAlchemy wraps the driver's errors of the statements it runs itself.
        raise sa.exc.DBAPIError.instance(statement, None, exc, conn.dialect.dbapi.Error) from exc
    finally:
        cursor.close()


def write_day(engine: sa.Engine, table: str, date_column: str, day: dt.date, frame: pd.DataFrame) -> int:
    """Replace ``day`` in ``table`` with ``frame``; returns the number of rows written."""
    return write_days(engine, table, date_column, {day: frame})[day]
