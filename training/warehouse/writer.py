"""Writing daily partitions: a day is replaced as a whole, in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING

import sqlalchemy as sa

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


def _create_table(conn: sa.Connection, table: str, date_column: str, frame: pd.DataFrame) -> None:
    columns = [sa.Column(date_column, sa.Text(), nullable=False)]
    columns += [sa.Column(name, _sql_type(frame[name])) for name in frame.columns if name != date_column]
    meta = sa.MetaData()
    sa_table = sa.Table(table, meta, *columns)
    sa.Index(f"ix_{table}_{date_column}", sa_table.c[date_column])
    meta.create_all(conn)


def _add_missing_columns(conn: sa.Connection, table: str, frame: pd.DataFrame) -> None:
    present = {c["name"] for c in sa.inspect(conn).get_columns(table)}
    for name in frame.columns:
        if name not in present:
            type_sql = _sql_type(frame[name]).compile(dialect=conn.dialect)
            conn.execute(
                sa.text(f"ALTER TABLE {quote(conn.engine, table)} ADD COLUMN {quote(conn.engine, name)} {type_sql}")
            )


def write_days(
    engine: sa.Engine,
    table: str,
    date_column: str,
    frames: Mapping[dt.date, pd.DataFrame],
    *,
    replace: bool = True,
) -> dict[dt.date, int]:
    """Write several days in one transaction: all of them land, or none.

    With ``replace`` each day's existing rows are deleted first (a rerun does not duplicate);
    otherwise rows are appended. The table is created (indexed on the date column) or gains new
    columns as needed. Returns the rows written per day.
    """
    check_identifier(table, "table")
    check_identifier(date_column, "column")
    written: dict[dt.date, int] = {}
    with engine.begin() as conn:
        for day, frame in sorted(frames.items()):
            for name in frame.columns:
                check_identifier(str(name), "column")
            frame = frame.assign(**{date_column: day_str(day)})
            if not sa.inspect(conn).has_table(table):
                _create_table(conn, table, date_column, frame)
            else:
                _add_missing_columns(conn, table, frame)
                if replace:
                    conn.execute(
                        sa.text(f"DELETE FROM {quote(engine, table)} WHERE {quote(engine, date_column)} = :day"),
                        {"day": day_str(day)},
                    )
            frame.to_sql(table, conn, if_exists="append", index=False, chunksize=5000)
            written[day] = len(frame)
    return written


def write_day(engine: sa.Engine, table: str, date_column: str, day: dt.date, frame: pd.DataFrame) -> int:
    """Replace ``day`` in ``table`` with ``frame``; returns the number of rows written."""
    return write_days(engine, table, date_column, {day: frame})[day]
