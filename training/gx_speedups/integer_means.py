"""GX's mean of an integer column on PostgreSQL, from an integer sum.

GX writes a column's mean as ``avg(1.0 * x)``. Through psycopg2 the ``1.0`` reaches PostgreSQL
as a ``numeric`` literal, so for an integer column every row is converted to ``numeric`` and
multiplied before the numeric average: 0.12 s per column of a 1M-row day, a quarter of the
day's scan. PostgreSQL's ``avg`` of numerics is ``numeric_div(sum, count)``, where the sum of
``1.0 * x`` is the integer sum with one decimal. ``1.0 * sum(x) / count(x)`` is that division
of the same two numbers with the same scales (the sum taken in 128-bit integers): the identical
``numeric`` result, digit for digit, and NULL without rows as ``avg``.

Taken only where that holds: inside ``registry.active()``, on PostgreSQL through psycopg2 (which
sends ``1.0`` as ``numeric``; psycopg 3 sends a double, and GX's mean is then a double average),
for a SMALLINT, INTEGER or BIGINT column. Everything else gets GX's ``avg(1.0 * x)``.
"""

from __future__ import annotations

import functools
from typing import Any

from great_expectations.compatibility.sqlalchemy import sqlalchemy as sa

from training.gx_speedups.column_partials import rewrite_partial
from training.gx_speedups.one_bundle import column_type

_MEAN_PARTIAL = "column.mean.aggregate_fn"
_INTEGER_TYPES = ("SMALLINT", "INTEGER", "BIGINT")


@functools.cache
def install() -> None:
    rewrite_partial(_MEAN_PARTIAL, _mean)


def _mean(execution_engine: Any, metrics: dict, column_name: str) -> Any | None:
    dialect = execution_engine.engine.dialect
    if (
        dialect.name == "postgresql"
        and dialect.driver == "psycopg2"
        and column_type(metrics, str(column_name)) in _INTEGER_TYPES
    ):
        return integer_mean(sa.column(column_name))
    return None


def integer_mean(column: Any) -> Any:
    """``1.0 * sum(column) / count(column)`` with the operators as written: SQLAlchemy's own
    ``/`` would cast the divisor, and the ``1.0`` must be the same float literal as GX's."""
    return sa.literal(1.0).op("*")(sa.func.sum(column)).op("/")(sa.func.count(column))
