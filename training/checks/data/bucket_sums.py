"""Several counts as one SQL aggregate expression, so that they join GX's bundled query.

GX computes every aggregate metric of a batch (means, minimums, null counts...) in one SELECT,
but a metric can contribute only one column to it. Metrics that need a vector of counts (bucket
counts for drift, quantile brackets) therefore return the counts joined into one text value,
``'12,0,7'``, and split it again in Python: one scan of the day instead of one query each.

Counts of a numeric column between bounds (drift bins, quantile brackets) are ``span_counts``.
Written as one ``count(*) FILTER`` per bound they cost PostgreSQL a comparison and an aggregate
step per bound and row (about 7 ms per bound for a 1M-row day; 20 bounds per column are common).
On PostgreSQL they are one aggregate per column instead: a binary search over the bounds written
as nested ``CASE`` picks each row's bucket, whose leaf adds ``10**(12*bucket)`` to a ``numeric``
sum, so the sum holds every bucket's count in twelve decimal digits of its own (a day has fewer
than 10**12 rows). Five comparisons per row instead of twenty: 2.5 times faster, same counts.
Counts of a text column's known values are one sum too, a ``CASE`` testing each value in turn
(a row stops at its value instead of being compared with every value).
The metrics of one batch share their columns' sums: while a graph is resolved, ``sharing``
holds every span metric's bounds and every category list per column, each metric's sum is
written over all of them, and PostgreSQL computes the identical sums once (GX's own range and
value-set checks read their unexpected counts from the same sums: ``one_bundle.py``).
"""

from __future__ import annotations

import contextlib
import contextvars
import decimal
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from great_expectations.compatibility.sqlalchemy import sqlalchemy as sa

# Dialects with ``count(*) FILTER (WHERE ...)``: about twice as fast as ``sum(CASE ...)`` on PostgreSQL.
FILTER_DIALECTS = ("postgresql", "sqlite")
# Dialects whose bucket counts are one numeric sum (arbitrary precision, ``double precision`` bounds).
BUCKET_SUM_DIALECTS = ("postgresql",)
SLOT_DIGITS = 12
BUCKET_SUM_PREFIX = "S"

# A bound: (value, inclusive) means values below ``value`` (or at it, when inclusive).
Bound = tuple[float, bool]
# A span: values not below the first bound and below the second (None: open), or a placeholder.
Span = tuple[Bound | None, Bound | None] | int

# Metric name -> the bounds its ``span_counts`` use, from the metric's value kwargs.
SPAN_METRICS: dict[str, Callable[[dict], list[Bound]]] = {}
# Metrics whose ``categories`` value kwarg is counted with ``category_counts``.
CATEGORY_METRICS: set[str] = set()
_SHARED_EDGES: contextvars.ContextVar[dict[str, list[float]]] = contextvars.ContextVar("trainguard_shared_edges")
_SHARED_CATEGORIES: contextvars.ContextVar[dict[str, list[list[str]]]] = contextvars.ContextVar(
    "trainguard_shared_categories"
)


def sums_on(dialect: Any) -> bool:
    """Whether bucket counts on ``dialect`` are written as one numeric sum."""
    return dialect is not None and dialect.name in BUCKET_SUM_DIALECTS


@contextlib.contextmanager
def sharing(metrics: Iterable[tuple[str, str, dict]]) -> Iterator[None]:
    """While inside, bucket sums of a column are written over the bounds of every
    ``(metric name, column, value kwargs)`` given of a ``SPAN_METRICS`` metric on that column,
    and the categories of its ``CATEGORY_METRICS`` metrics can be read by ``outside_categories``."""
    edges: dict[str, set[float]] = {}
    categories: dict[str, list[list[str]]] = {}
    for name, column, value_kwargs in metrics:
        if name in CATEGORY_METRICS and value_kwargs.get("categories"):
            categories.setdefault(column, []).append([str(c) for c in value_kwargs["categories"]])
        try:
            bounds = SPAN_METRICS[name](value_kwargs) if name in SPAN_METRICS else []
        except (KeyError, TypeError, ValueError):  # malformed kwargs: the metric reports them itself
            continue
        if bounds and all(math.isfinite(v) for v, _ in bounds):
            edges.setdefault(column, set()).update(edge(b) for b in bounds)
    token = _SHARED_EDGES.set({column: sorted(found) for column, found in edges.items()})
    categories_token = _SHARED_CATEGORIES.set(categories)
    try:
        yield
    finally:
        _SHARED_CATEGORIES.reset(categories_token)
        _SHARED_EDGES.reset(token)


def count_if(condition: Any, dialect: Any = None) -> Any:
    """Rows where ``condition`` is true (NULL counts as false)."""
    if dialect is not None and dialect.name in FILTER_DIALECTS:
        return sa.func.count(sa.literal_column("*")).filter(condition)
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def threshold(value: float, dialect: Any = None) -> Any:
    """``value`` as a comparison bound. On PostgreSQL a Python float arrives as a ``numeric``
    literal, and an integer column compared with it is converted to ``numeric`` on every row
    (0.3 s of a 1M-row day for two integer columns); a ``double precision`` bound avoids that."""
    if dialect is not None and dialect.name == "postgresql":
        return sa.cast(sa.literal(float(value)), sa.Float)
    return value


def pack(counts: Sequence[Any]) -> Any:
    """One text expression ``'c1,c2,...'`` from count expressions (``||`` or the dialect's concat)."""
    parts = [sa.cast(c, sa.String) for c in counts]
    packed = parts[0]
    for part in parts[1:]:
        packed = packed + sa.literal(",", sa.String) + part
    return packed


def span_counts(column: Any, spans: Sequence[Span], dialect: Any = None, integer: bool = False) -> Any:
    """One text expression holding the non-null values of ``column`` in each span (``unpack``
    reads it as one count per span, placeholders as they are). ``integer``: the column is of an
    integer type (every metric of a column must say the same, so that they share its sum)."""
    bounds = _bounds_of(spans)
    if sums_on(dialect) and _all_finite(bounds):
        edges = _edges_for(column, bounds)
        return _bucket_sum(column, spans, edges, dialect, integer and integer_cuts_exact(edges))
    below = {
        b: count_if(column <= threshold(b[0], dialect) if b[1] else column < threshold(b[0], dialect), dialect)
        for b in bounds
    }
    counts = []
    for span in spans:
        if isinstance(span, int):
            counts.append(sa.literal(span))
            continue
        lo, hi = span
        upper = sa.func.count(column) if hi is None else below[hi]
        counts.append(upper if lo is None else upper - below[lo])
    return pack(counts)


def category_counts(column: Any, categories: Sequence[str], dialect: Any = None) -> Any:
    """One text expression holding the non-null values of ``column`` (compared as text) equal to
    each category, then all others (``unpack`` reads one count per category, then the rest)."""
    if sums_on(dialect) and len(set(categories)) == len(categories):
        layout = [f"{i}-{i + 1}" for i in range(len(categories) + 1)]
        return _packed_sum(_category_buckets(column, categories), layout)
    text = sa.cast(column, sa.String)
    counts = [count_if(text == c, dialect) for c in categories]
    other = sa.and_(column.is_not(None), text.not_in(categories)) if categories else column.is_not(None)
    return pack([*counts, count_if(other, dialect)])


def _category_buckets(column: Any, categories: Sequence[str]) -> Any:
    text = sa.cast(column, sa.String)
    buckets = [(text == c, _slot_value(i)) for i, c in enumerate(categories)]
    return sa.case((column.is_(None), sa.null()), *buckets, else_=_slot_value(len(categories)))


def outside_categories(column: Any, value_set: Sequence[Any], dialect: Any = None) -> Any | None:
    """The packed count of non-null values of ``column`` outside ``value_set``, read from the
    category sum of a metric of the graph whose categories are that set (PostgreSQL computes
    the shared sum once); None when there is no such sum."""
    if not sums_on(dialect) or not all(isinstance(v, str) for v in value_set):
        return None
    for categories in _SHARED_CATEGORIES.get({}).get(str(getattr(column, "name", "")), []):
        if len(set(categories)) == len(categories) and set(categories) == set(value_set):
            k = len(categories)
            return _packed_sum(_category_buckets(column, categories), [f"{k}-{k + 1}"])
    return None


def _slot_value(bucket: int) -> Any:
    # ``1E+240`` rather than 241 digits: the query of a wide table stays short.
    return sa.cast(sa.literal(decimal.Decimal(f"1e{SLOT_DIGITS * bucket}")), sa.Numeric)


def _packed_sum(per_row: Any, layout: Sequence[str]) -> Any:
    """``'S<sum>|<layout>'``: the numeric sum of the rows' slot values, and each count as its
    first and last slot + 1 (or ``=value`` for a placeholder)."""
    total = sa.cast(sa.func.coalesce(sa.func.sum(per_row), 0), sa.String)
    return sa.literal(BUCKET_SUM_PREFIX, sa.String) + total + sa.literal("|" + " ".join(layout), sa.String)


def _bounds_of(spans: Sequence[Span]) -> set[Bound]:
    return {b for span in spans if not isinstance(span, int) for b in span if b is not None}


def _all_finite(bounds: set[Bound]) -> bool:
    return bool(bounds) and all(math.isfinite(v) for v, _ in bounds)


def _edges_for(column: Any, bounds: set[Bound]) -> list[float]:
    """The edges of ``column``'s bucket sum: those shared by the graph's metrics on it when they
    include ``bounds``, else ``bounds``' own."""
    own = {edge(b) for b in bounds}
    shared = _SHARED_EDGES.get({}).get(str(getattr(column, "name", "")), [])
    return shared if own <= set(shared) else sorted(own)


# Below this magnitude an edge compares with an integer column exactly as an integer: for an
# integer x, ``x < e`` as doubles is ``x < ceil(e)`` (both sides are exact doubles up to 2**53).
_INTEGER_CUT_LIMIT = 2.0**52


def integer_cuts_exact(edges: Iterable[float]) -> bool:
    """Whether an integer column's bucket sum over ``edges`` compares as integers."""
    return all(abs(e) < _INTEGER_CUT_LIMIT for e in edges)


def integer_span_counts_exact(column: Any, spans: Sequence[Span], dialect: Any = None) -> bool:
    """Whether ``span_counts(column, spans, dialect, integer=True)`` compares every row as an
    integer with an integer cut: then a BIGINT column's counts are exact (no double rounding)."""
    bounds = _bounds_of(spans)
    return sums_on(dialect) and _all_finite(bounds) and integer_cuts_exact(_edges_for(column, bounds))


def edge(bound: Bound) -> float:
    # For a double precision value, ``x <= v`` is ``x < nextafter(v)``: every bound becomes "below an edge".
    value, inclusive = bound
    return math.nextafter(value, math.inf) if inclusive else value


def _bucket_sum(column: Any, spans: Sequence[Span], edges: list[float], dialect: Any, integer: bool = False) -> Any:
    """The packed sum of ``10**(12*bucket)`` over the non-null rows, bucket k holding values in
    ``[edges[k-1], edges[k])``. ``integer``: the column holds integers and every edge is below
    2**52 in magnitude; the rows are compared as integers with ``ceil(edge)`` (same buckets: for
    an integer x, ``x < e`` exactly when ``x < ceil(e)``), without a cast of every row to a
    double, and exactly for BIGINT values beyond 2**53 too."""
    if integer:
        cuts: list[Any] = sorted({math.ceil(e) for e in edges})
        value = column
        slot = {e: cuts.index(math.ceil(e)) + 1 for e in edges}

        def bound(cut: Any) -> Any:
            return sa.literal(cut, sa.BigInteger)
    else:
        cuts = list(edges)
        value = sa.cast(column, sa.Float)
        slot = {e: i + 1 for i, e in enumerate(edges)}  # values below edges[i] are in buckets < i + 1

        def bound(cut: Any) -> Any:
            return threshold(cut, dialect)

    def search(first: int, last: int) -> Any:
        if first == last:
            return _slot_value(first)
        middle = (first + last + 1) // 2
        return sa.case((value < bound(cuts[middle - 1]), search(first, middle - 1)), else_=search(middle, last))

    # The root tests both sides so that NULL reaches no bucket (NaN is above every edge, as in FILTER).
    middle = (len(cuts) + 1) // 2
    split = bound(cuts[middle - 1])
    root = sa.case((value < split, search(0, middle - 1)), (value >= split, search(middle, len(cuts))))
    layout = []
    for span in spans:
        if isinstance(span, int):
            layout.append(f"={span}")
            continue
        lo, hi = span
        layout.append(f"{0 if lo is None else slot[edge(lo)]}-{len(cuts) + 1 if hi is None else slot[edge(hi)]}")
    return _packed_sum(root, layout)


def _unpack_bucket_sum(value: str) -> list[int]:
    total, layout = value[len(BUCKET_SUM_PREFIX) :].split("|")
    remaining, buckets = int(total), []
    while remaining:
        remaining, count = divmod(remaining, 10**SLOT_DIGITS)
        buckets.append(count)
    counts = []
    for item in layout.split():
        if item.startswith("="):
            counts.append(int(item[1:]))
            continue
        first, stop = (int(p) for p in item.split("-"))
        counts.append(sum(buckets[first:stop]))
    return counts


def unpack(value: Any) -> list[int]:
    """The counts of a packed value; a list (the pandas engine's value) is returned as is."""
    if value is None:
        return []
    if isinstance(value, str):
        if value.startswith(BUCKET_SUM_PREFIX):
            return _unpack_bucket_sum(value)
        return [int(float(v)) for v in value.split(",")] if value else []
    return [int(v) for v in value]
