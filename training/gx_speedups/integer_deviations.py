"""GX's standard deviation of a BIGINT column on PostgreSQL, from 32-bit integer sums.

GX writes a column's standard deviation as ``stddev_samp(x)``. For a BIGINT column PostgreSQL
accumulates the sums of ``x`` and ``x * x`` as ``numeric`` (``int8_accum``): a ``numeric``
multiplication and two additions per row, about 0.15 s per column of a 1M-row day, the largest
aggregate of a day's scan. For an INTEGER argument it accumulates the same two sums in 128-bit
integers (``int4_accum``), and both aggregates end in the same function of the same three exact
integers (``numeric_stddev_internal`` of N, the sum and the sum of squares, each a ``numeric``
of scale 0: ``numeric_poly_stddev_samp`` converts its 128-bit sums to just that): the identical
``numeric`` result, digit for digit, whenever every value fits in 32 bits.

So inside ``registry.active()``, on PostgreSQL, for a BIGINT column, the bundled query computes
``stddev_samp`` of the values that fit in 32 bits (cast to INTEGER; the others NULL) together
with the column's minimum and maximum, as one text value. When the minimum and maximum fit, the
result is that standard deviation, as GX would have received it (``Decimal`` of PostgreSQL's
own text, then GX's conversion); when they do not, GX's own ``stddev_samp(x)`` is computed in a
query of its own, outside the fast paths. SMALLINT and INTEGER columns already get the 128-bit
sums; everything else keeps GX's expression.
"""

from __future__ import annotations

import decimal
import functools
from typing import Any

from great_expectations.compatibility.sqlalchemy import sqlalchemy as sa

from training.gx_speedups.column_partials import rewrite_partial
from training.gx_speedups.one_bundle import column_type
from training.gx_speedups.registry import inactive

_METRIC = "column.standard_deviation"
_PARTIAL = f"{_METRIC}.aggregate_fn"
_PREFIX = "trainguard-int4-stddev:"
INT4_MIN, INT4_MAX = -(2**31), 2**31 - 1


@functools.cache
def install() -> None:
    rewrite_partial(_PARTIAL, _deviation)
    _decoded()


def _deviation(execution_engine: Any, metrics: dict, column_name: str) -> Any | None:
    if execution_engine.engine.dialect.name == "postgresql" and column_type(metrics, str(column_name)) == "BIGINT":
        return packed_deviation(sa.column(column_name))
    return None


def packed_deviation(column: Any) -> Any:
    """``'<prefix><stddev of the 32-bit values>|<min>|<max>'`` (an empty standard deviation
    for NULL; min and max 0 without values)."""
    fits = sa.and_(column >= sa.literal(INT4_MIN, sa.BigInteger), column <= sa.literal(INT4_MAX, sa.BigInteger))
    narrow = sa.case((fits, sa.cast(column, sa.Integer)), else_=sa.null())
    parts = [
        sa.func.coalesce(sa.cast(sa.func.stddev_samp(narrow), sa.String), sa.literal("", sa.String)),
        sa.cast(sa.func.coalesce(sa.func.min(column), 0), sa.String),
        sa.cast(sa.func.coalesce(sa.func.max(column), 0), sa.String),
    ]
    packed = sa.literal(_PREFIX, sa.String) + parts[0]
    for part in parts[1:]:
        packed = packed + sa.literal("|", sa.String) + part
    return packed


def _decoded() -> None:
    import great_expectations.util as gx_util
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine

    resolve = SqlAlchemyExecutionEngine.resolve_metrics

    def resolve_metrics(
        self: Any, metrics_to_resolve: Any, metrics: dict | None = None, runtime_configuration: dict | None = None
    ) -> dict:
        metrics_to_resolve = list(metrics_to_resolve)
        resolved = resolve(self, metrics_to_resolve, metrics, runtime_configuration)
        again = []
        for metric in metrics_to_resolve:
            value = resolved.get(metric.id)
            if metric.metric_name != _METRIC or not (isinstance(value, str) and value.startswith(_PREFIX)):
                continue
            deviation, low, high = value.removeprefix(_PREFIX).split("|")
            if INT4_MIN <= int(low) and int(high) <= INT4_MAX:
                # What GX's bundle makes of the numeric psycopg2 returns (a Decimal of this text).
                found = decimal.Decimal(deviation) if deviation else None
                resolved[metric.id] = gx_util.convert_to_json_serializable(data=found)
            else:
                again.append(metric)
        if again:
            # GX's own stddev_samp(x), in a query of its own: its partial (the SQL expression,
            # resolved in an earlier round with the fast path) is built again first.
            known = {**(metrics or {}), **resolved}
            with inactive():
                partials = [m.metric_dependencies["metric_partial_fn"] for m in again]
                known.update(resolve(self, partials, known, runtime_configuration))
                resolved.update(resolve(self, again, known, runtime_configuration))
        return resolved

    SqlAlchemyExecutionEngine.resolve_metrics = resolve_metrics
