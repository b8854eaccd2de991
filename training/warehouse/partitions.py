"""Daily partitions: a table's rows for a day are those whose date column equals 'YYYY-MM-DD'.

The predicate is always ``date_column = :day`` so that an index on the date column is used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

import sqlalchemy as sa

from training.core.errors import TrainguardError
from training.warehouse.identifiers import quote, require_columns

if TYPE_CHECKING:
    import pandas as pd


def day_str(day: dt.date) -> str:
    return day.isoformat()


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    if end < start:
        raise TrainguardError(f"end date {end} is before start date {start}")
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def count_batch_rows(engine: sa.Engine, table: str, column: str, value: str) -> int:
    """Rows of ``table`` whose ``column`` equals ``value``; raises if the table or column is missing."""
    require_columns(engine, table, [column])
    query = sa.text(f"SELECT COUNT(*) FROM {quote(engine, table)} WHERE {quote(engine, column)} = :value")
    with engine.connect() as conn:
        return int(conn.execute(query, {"value": value}).scalar_one())


def batch_has_rows(engine: sa.Engine, table: str, column: str, value: str) -> bool:
    """Whether ``table`` has a row where ``column`` equals ``value`` (stops at the first one)."""
    require_columns(engine, table, [column])
    query = sa.text(f"SELECT 1 FROM {quote(engine, table)} WHERE {quote(engine, column)} = :value LIMIT 1")
    with engine.connect() as conn:
        return conn.execute(query, {"value": value}).first() is not None


def count_rows(engine: sa.Engine, table: str, date_column: str, day: dt.date) -> int:
    """Rows of ``table`` for ``day``."""
    return count_batch_rows(engine, table, date_column, day_str(day))


def list_days(
    engine: sa.Engine, table: str, date_column: str, start: dt.date | None = None, end: dt.date | None = None
) -> list[dt.date]:
    """The distinct days present in ``table`` (between ``start`` and ``end`` if given), ascending."""
    require_columns(engine, table, [date_column])
    col = quote(engine, date_column)
    where = f" WHERE {col} BETWEEN :start AND :end" if start and end else ""
    query = sa.text(f"SELECT DISTINCT {col} FROM {quote(engine, table)}{where} ORDER BY {col}")
    params = {"start": day_str(start), "end": day_str(end)} if where else {}
    with engine.connect() as conn:
        return [dt.date.fromisoformat(str(v)[:10]) for (v,) in conn.execute(query, params)]


def read_days(
    engine: sa.Engine,
    table: str,
    date_column: str,
    days: Sequence[dt.date],
    columns: Sequence[str],
) -> pd.DataFrame:
    """Rows of ``days`` restricted to ``columns`` (plus the date column) as a DataFrame."""
    import pandas as pd

    wanted = [date_column, *[c for c in columns if c != date_column]]
    require_columns(engine, table, wanted)
    select_list = ", ".join(quote(engine, c) for c in wanted)
    query = sa.text(
        f"SELECT {select_list} FROM {quote(engine, table)} WHERE {quote(engine, date_column)} IN :days"
    ).bindparams(sa.bindparam("days", expanding=True))
    with engine.connect() as conn:
        return pd.read_sql(query, conn, params={"days": [day_str(d) for d in days]})
