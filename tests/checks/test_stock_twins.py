"""trainguard's SQL-pushdown checks give exactly the verdicts of their stock GX twins.

Each custom check and its stock twin are validated on the same generated edge cases (integers,
big integers, floats with NULL, NaN and infinities, booleans, dates, timestamps, text with quotes
and unicode, numeric-looking text; empty batches, all-null columns, ties, a single value, bounds
on the data's values and on the edges of GX's quantile tolerance, min > max, q = 0 and q = 1,
row conditions) on SQLite and on PostgreSQL, and every pair must agree on ``success``:

- expect_column_mode_to_be_in_set / ExpectColumnMostCommonValueToBeInSet (with and without
  ``known_values``, ``ties_okay``),
- expect_column_quantiles_to_be_between / ExpectColumnQuantileValuesToBeBetween,
- expect_column_distinct_count_to_be_between / ExpectColumnUniqueValueCountToBeBetween and
  expect_column_distinct_proportion_to_be_between / ExpectColumnProportionOfUniqueValuesToBeBetween
  (with and without ``known_values`` and a row condition).

On PostgreSQL the custom checks run a second time with trainguard's speed layer active (bucket
sums shared between a column's metrics). GX's own mode and quantile checks fail on any row
condition with SQLAlchemy 2.1 (they select from an unwrapped SELECT), so row conditions are
compared for the distinct checks only.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import math
import random
import re
import struct
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from tests.conftest import postgres_database, statements_sent

Q_TOLERANCE = 1.0e-4  # GX's rtol for a quantile on a bound (atol 1e-8)
STRINGS = ["a", "O'Brien", 'say "hi"', "zoné ☃", "", " a ", "A", "🚀 ok", "a"]
SHORT = ["a", "ab", "'", "é", "a"]  # CHAR(3)
DAY = dt.date(2024, 1, 1)
MOMENT = dt.datetime(2024, 1, 1, 12, 30)
ROW_CONDITIONS = ['col("g")=="a"', 'col("k")>1']

# Value kind -> SQL type on each database ("t" holds numbers as text).
SQLITE_TYPES = {"i": "INTEGER", "x": "REAL", "b": "BOOLEAN", "d": "DATE", "s": "TEXT", "t": "TEXT"}
POSTGRES_TYPES = {
    "i": "INTEGER",
    "bi": "BIGINT",
    "x": "DOUBLE PRECISION",
    "r": "REAL",
    "n": "NUMERIC",
    "b": "BOOLEAN",
    "d": "DATE",
    "ts": "TIMESTAMP",
    "s": "TEXT",
    "vc": "VARCHAR(20)",
    "ch": "CHAR(3)",
    "t": "TEXT",
}
# Columns that row conditions test: "g" groups the rows, "k" numbers them.
HELPERS = {"g": "TEXT", "k": "INTEGER"}
NUMERIC = {"i", "bi", "x", "r", "n"}
ROWS = 41
SPECIALS = {  # NaN, infinities and signed zeros (PostgreSQL only: SQLite stores NaN as NULL)
    "x": [1.0, 2.0, None, math.nan, math.inf, -math.inf, math.nan, -0.0, 0.0],
    "r": [1.0, 1.0, None, math.nan, math.inf, -math.inf, math.nan, -0.0, 0.0],
    "n": [Decimal(1), Decimal("1.00"), None, Decimal("NaN"), Decimal("NaN"), Decimal(0), Decimal("-0.0")],
}

Column = tuple[str, str, str, list]  # (name, shape, value kind, values)


def _shapes() -> dict[str, list[int | None]]:
    """Per shape of data, the integer each row's value derives from (None: NULL). NULLs pad every
    shape to the table's rows, so a column is a batch of that shape (NULLs are not values)."""
    rng = random.Random(7)
    return {
        "mixed": [None if i % 7 == 3 else rng.randint(-4, 9) for i in range(ROWS)],
        "all_null": [],
        "single": [5],
        "ties": [1, 1, 2, 2, 3, None],
        "clear_mode": [1, 1, 1, 2, 3, None, None, 4],
        "wide": [i * 37 % 101 - 50 for i in range(25)],
    }


def _typed(kind: str, base: int | None, postgres: bool) -> Any:
    """The value of kind ``kind`` derived from ``base``, as a Python value to insert."""
    if base is None:
        return None
    values: dict[str, Callable[[], Any]] = {
        "i": lambda: base,
        "bi": lambda: base * 10**17 + 7,  # above 2**53: not exact as a double
        "x": lambda: base * 1234.567 - 0.1,
        "r": lambda: base / 4,
        "n": lambda: Decimal(base) / 8,
        "b": lambda: base % 2 == 1,
        "d": lambda: DAY + dt.timedelta(days=base) if postgres else (DAY + dt.timedelta(days=base)).isoformat(),
        "ts": lambda: MOMENT + dt.timedelta(hours=base),
        "s": lambda: STRINGS[base % len(STRINGS)],
        "vc": lambda: STRINGS[base % len(STRINGS)],
        "ch": lambda: SHORT[base % len(SHORT)],
        "t": lambda: str(base),
    }
    return values[kind]()


def _padded(values: list) -> list:
    return values + [None] * (ROWS - len(values))


def _tables(postgres: bool) -> dict[str, list[Column]]:
    """Table "cases": a column per shape and kind; table "empty": no rows, a column per kind."""
    kinds = POSTGRES_TYPES if postgres else SQLITE_TYPES
    helpers: list[Column] = [
        ("g", "", "g", ["a" if row % 3 else "b" for row in range(ROWS)]),
        ("k", "", "k", list(range(ROWS))),
    ]
    cases = helpers + [
        (f"{shape}_{kind}", shape, kind, _padded([_typed(kind, b, postgres) for b in bases]))
        for shape, bases in _shapes().items()
        for kind in kinds
    ]
    if postgres:
        cases += [(f"special_{kind}", "special", kind, _padded(values)) for kind, values in SPECIALS.items()]
    empty = [(name, "", name, []) for name in HELPERS] + [(kind, "empty", kind, []) for kind in kinds]
    return {"cases": cases, "empty": empty}


def _create(engine: sa.engine.Engine, tables: dict[str, list[Column]], postgres: bool) -> None:
    types = {**HELPERS, **(POSTGRES_TYPES if postgres else SQLITE_TYPES)}
    with engine.begin() as conn:
        for table, columns in tables.items():
            conn.execute(sa.text(f"CREATE TABLE {table} ({', '.join(f'{c[0]} {types[c[2]]}' for c in columns)})"))
            names = [c[0] for c in columns]
            rows = [dict(zip(names, row, strict=True)) for row in zip(*(c[3] for c in columns), strict=True)]
            if rows:
                placeholders = ", ".join(f":{c[0]}" for c in columns)
                conn.execute(sa.text(f"INSERT INTO {table} VALUES ({placeholders})"), rows)


# --- GX's rules, written out independently of training/checks, to aim the cases at their edges


def _gx_rank(q: float, n: int, postgres: bool) -> int:
    from fractions import Fraction

    product = q * n if postgres else Fraction(str(q)) * n
    return max(math.ceil(product), 1)


def _close(value: float, bound: float) -> bool:
    return bool(np.isclose(value, bound, rtol=Q_TOLERANCE, atol=1e-8))


def _ordinal(x: float) -> int:
    n = struct.unpack("<q", struct.pack("<d", x))[0]
    return n if n >= 0 else -(n & 0x7FFFFFFFFFFFFFFF)


def _from_ordinal(n: int) -> float:
    return struct.unpack("<d", struct.pack("<q", n if n >= 0 else (-n) | -0x8000000000000000))[0]


def _farthest_close_bound(value: float, direction: int) -> float:
    """The bound farthest from ``value`` (upwards for direction 1) that GX still finds close to it."""
    near, far = value, value + direction * (2 * Q_TOLERANCE * abs(value) + 1e-7)
    while _ordinal(far) - _ordinal(near) not in (direction, 0):
        middle = _from_ordinal((_ordinal(near) + _ordinal(far)) // 2)
        near, far = (middle, far) if _close(value, middle) else (near, middle)
    return near


def _quantile_ranges(target: float | None) -> list[list[Any]]:
    """Ranges on, around and just past GX's tolerance of a quantile's value (None: not numeric)."""
    if target is None or not math.isfinite(target):
        return [[None, None], [0, 1], [1, 1], [2, 1], [None, 0], [0, None], [-math.inf, math.inf]]
    up, down = _farthest_close_bound(target, 1), _farthest_close_bound(target, -1)
    just = math.nextafter
    # The first six are the basic cases.
    return [
        [target, target],
        [up, None],  # the quantile is within the tolerance of the minimum
        [just(up, math.inf), None],  # ... and one double past it
        [None, just(down, -math.inf)],
        [target + 1, target],  # min > max: close to the maximum
        [target + 1, target - 1],  # min > max, close to neither
        [None, None],
        [None, down],
        [target - 1, target - 0.5],
        [target, target - 1],  # min > max: close to the minimum
        [just(up, math.inf), just(down, -math.inf)],  # min > max just past both tolerances
        [round(target * (1 + 0.9 * Q_TOLERANCE), 9), round(target * (1 + 2 * Q_TOLERANCE) + 1, 9)],
    ]


# --- the pairs

Pair = tuple[str, str, Any, Any]  # (check, case, custom expectation, stock expectation)
ON_G = {"row_condition": ROW_CONDITIONS[0], "condition_parser": "great_expectations"}
ON_K = {"row_condition": ROW_CONDITIONS[1], "condition_parser": "great_expectations"}
# Per check and shape: the value kinds it is tried on ("*": all of them) and how thoroughly.
PLAN: dict[str, dict[str, dict[str, str]]] = {
    "mode": {
        "ties": {"*": "full"},
        "clear_mode": {k: "basic" for k in ("i", "x", "b", "d", "s", "t", "n", "ts", "ch")},
        "single": {"i": "basic", "d": "basic"},
        "empty": {"i": "basic", "s": "basic"},
        "all_null": {"x": "basic"},
        "special": {"x": "basic", "r": "basic", "n": "basic"},
    },
    "quantiles": {
        "mixed": {"x": "0 0.56 1", "i": "0.25", "t": "0.5 basic", "bi": "0.56 basic", "r": "0.5 basic"}
        | {k: "0.5 basic" for k in ("b", "d", "s", "ts", "ch")},
        "ties": {"i": "0.5 basic", "x": "0.56 basic", "n": "0.56 basic"},
        "single": {"x": "0 1 basic"},
        "wide": {"x": "1 basic", "i": "0.56 basic"},
        "empty": {"x": "0.5 basic"},
        "all_null": {"x": "0.5 basic"},
        "special": {"x": "0 0.5 1 basic", "r": "1 basic", "n": "0.5 1 basic"},
    },
    "distinct": {
        "mixed": {k: "full" for k in ("i", "x", "b", "s", "t", "n", "vc", "ch")} | {"*": "basic"},
        "ties": {"s": "full", "x": "full"},
        "single": {"i": "basic", "s": "basic"},
        "empty": {"i": "basic", "s": "basic"},
        "all_null": {"s": "basic"},
        "special": {"x": "basic", "r": "basic", "n": "basic"},
    },
}


def _planned(check: str, shape: str, kind: str) -> str | None:
    kinds = PLAN[check].get(shape, {})
    return kinds.get(kind, kinds.get("*"))


def _present(values: list) -> list:
    return [v for v in values if v is not None]


def _mode_pairs(label: str, column: str, values: list, plan: str) -> Iterator[Pair]:
    from great_expectations.expectations import ExpectColumnMostCommonValueToBeInSet
    from training.checks import ExpectColumnModeToBeInSet

    present = _present(values)
    counts = collections.Counter(str(v) for v in present)
    top = max(counts.values(), default=0)
    modes = [v for v in dict.fromkeys(present) if counts[str(v)] == top] or [1]
    known = [str(v) for v in dict.fromkeys(present)] or None
    # (value set, ties_okay, known_values): numbers vs text, the typed mode vs its text, ties.
    cases: list[tuple[list, bool | None, list | None]] = [
        ([1], None, known),
        (["1"], None, known),
        ([modes[0]], None, None),
        ([str(modes[0])], None, known),
    ]
    if plan == "full":
        cases = [
            ([1], None, known),
            (["1"], True, None),
            ([modes[0]], None, None),
            ([modes[0]], True, known),
            ([str(modes[0])], True, known),
            (modes[:2], False, known[:1] if known else None),
        ]
    for value_set, ties_okay, known_values in cases:
        kwargs: dict[str, Any] = {"column": column, "value_set": value_set}
        if ties_okay is not None:
            kwargs["ties_okay"] = ties_okay
        case = f"{label} value_set={value_set!r} ties_okay={ties_okay} known={known_values}"
        custom = ExpectColumnModeToBeInSet(**kwargs, known_values=known_values)
        yield "mode", case, custom, ExpectColumnMostCommonValueToBeInSet(**kwargs)


def _gx_quantile(kind: str, values: list, q: float, postgres: bool) -> float | None:
    """The value GX's query returns for quantile q, as a number (None: not a number)."""
    present = _present(values)
    if kind not in NUMERIC | {"t"} or not present:
        return None
    ordered = sorted(present) if kind == "t" else sorted(map(float, present), key=lambda v: (math.isnan(v), v))
    return float(ordered[_gx_rank(q, len(present), postgres) - 1])


def _quantile_pairs(label: str, column: str, kind: str, values: list, plan: str, postgres: bool) -> Iterator[Pair]:
    from great_expectations.expectations import ExpectColumnQuantileValuesToBeBetween
    from training.checks import ExpectColumnQuantilesToBeBetween

    words = plan.split()
    for q in [float(w) for w in words if w != "basic"]:
        ranges = _quantile_ranges(_gx_quantile(kind, values, q, postgres))
        for value_range in ranges[:6] if "basic" in words else ranges:
            quantile_ranges = {"quantiles": [q], "value_ranges": [value_range]}
            yield (
                "quantiles",
                f"{label} q={q} range={value_range}",
                ExpectColumnQuantilesToBeBetween(column=column, quantile_ranges=quantile_ranges),
                ExpectColumnQuantileValuesToBeBetween(column=column, quantile_ranges=quantile_ranges),
            )


def _distinct_pairs(label: str, column: str, values: list, plan: str) -> Iterator[Pair]:
    from great_expectations.expectations import (
        ExpectColumnProportionOfUniqueValuesToBeBetween,
        ExpectColumnUniqueValueCountToBeBetween,
    )
    from training.checks import ExpectColumnDistinctCountToBeBetween, ExpectColumnDistinctProportionToBeBetween

    present = _present(values)
    count = len(set(map(str, present)))
    share = count / len(present) if present else 0.0
    known = [str(v) for v in dict.fromkeys(present)] or None
    # (check, min, max, extra kwargs, known_values)
    cases: list[tuple[str, Any, Any, dict, list | None]] = [
        ("count", count, count, {}, known),
        ("proportion", share, share, {}, None),
    ]
    if plan == "full":
        cases += [
            ("count", count, count, {}, None),
            ("count", count + 1, None, {}, known),
            ("count", None, count, {"strict_max": True}, None),
            ("count", 2, 2, ON_G, None),
            ("count", 2, 3, ON_G, known),
            ("count", None, 1, ON_K, known),
            ("proportion", share, share, {}, known),
            ("proportion", 0, share, {"strict_max": True}, None),
            ("proportion", 0.5, None, ON_G, known),
            ("proportion", None, 0.5, ON_K, None),
        ]
    twins = {
        "count": (ExpectColumnDistinctCountToBeBetween, ExpectColumnUniqueValueCountToBeBetween),
        "proportion": (ExpectColumnDistinctProportionToBeBetween, ExpectColumnProportionOfUniqueValuesToBeBetween),
    }
    for check, lo, hi, extra, known_values in cases:
        ours, stock = twins[check]
        kwargs = {"column": column, "min_value": lo, "max_value": hi, **extra}
        case = f"{label} [{lo}, {hi}] {extra} known={known_values is not None}"
        yield f"distinct_{check}", case, ours(**kwargs, known_values=known_values), stock(**kwargs)


def _pairs(columns: list[Column], table: str, postgres: bool) -> list[Pair]:
    pairs: list[Pair] = []
    for column, shape, kind, values in columns:
        label = f"{table}.{column}"
        if plan := _planned("mode", shape, kind):
            pairs += _mode_pairs(label, column, values, plan)
        if plan := _planned("quantiles", shape, kind):
            pairs += _quantile_pairs(label, column, kind, values, plan, postgres)
        if plan := _planned("distinct", shape, kind):
            pairs += _distinct_pairs(label, column, values, plan)
    return pairs


# --- validation


def _rounds(expectations: list) -> list[list[int]]:
    """Positions of the expectations, split so that no suite holds two quantile expectations on
    one column with different quantiles: GX 1.24.1 sets the quantiles of its column.quantile_values
    metric after the metric's id is computed, so in one suite they all read the first one's values."""
    rounds: list[list[int]] = []
    seen: dict[str, list[tuple]] = collections.defaultdict(list)
    for i, expectation in enumerate(expectations):
        n = 0
        if expectation.expectation_type == "expect_column_quantile_values_to_be_between":
            quantiles, used = tuple(expectation.quantile_ranges["quantiles"]), seen[expectation.column]
            if quantiles not in used:
                used.append(quantiles)
            n = used.index(quantiles)
        while len(rounds) <= n:
            rounds.append([])
        rounds[n].append(i)
    return rounds


def _verdicts(batch: Any, expectations: list, speedups: bool = False) -> list[bool]:
    """``success`` of each expectation, validated together in as few suites as GX allows."""
    import great_expectations as gx
    from training.gx_speedups.registry import active

    verdicts: dict[int, bool] = {}
    for positions in _rounds(expectations):
        chosen = [expectations[i] for i in positions]
        for i, expectation in zip(positions, chosen, strict=True):
            expectation.meta = {"case": i}
        suite = gx.ExpectationSuite(name="twins", expectations=chosen)
        with active() if speedups else contextlib.nullcontext():
            result = batch.validate(suite, result_format="BOOLEAN_ONLY")
        verdicts.update({r.expectation_config.meta["case"]: bool(r.success) for r in result.results})
    assert sorted(verdicts) == list(range(len(expectations)))
    return [verdicts[i] for i in range(len(expectations))]


def _compare(source: Any, postgres: bool) -> collections.Counter:
    """Validate every pair on both tables; fail listing the pairs whose verdicts differ. Returns
    the number of pairs per (check, GX's verdict)."""
    tally: collections.Counter = collections.Counter()
    differences = []
    for table, columns in _tables(postgres).items():
        pairs = _pairs(columns, table, postgres)
        batch = source.add_table_asset(table, table).add_batch_definition_whole_table("all").get_batch()
        stock = _verdicts(batch, [p[3] for p in pairs])
        with statements_sent() as sent:
            runs = {"": _verdicts(batch, [p[2] for p in pairs])}
            if postgres:  # the speed layer shares bucket sums between a column's metrics
                runs[" (speed layer)"] = _verdicts(batch, [p[2] for p in pairs], speedups=True)
        # The quantiles of numeric columns are decided from counts: only other columns are sorted.
        numeric = {c[0] for c in columns if c[2] in NUMERIC}
        sorted_columns = {m for s in sent for m in re.findall(r"ORDER BY (\w+)", s) if "OFFSET" in s}
        sorted_columns |= {m for s in sent for m in re.findall(r"WITHIN GROUP \(ORDER BY (\w+)", s)}
        assert (sorted_columns or table == "empty") and not sorted_columns & numeric, sorted_columns
        for (check, *_), theirs in zip(pairs, stock, strict=True):
            tally[(check, theirs)] += 1
        for note, ours in runs.items():
            for (check, case, _, _), mine, theirs in zip(pairs, ours, stock, strict=True):
                if mine != theirs:
                    differences.append(f"{check} {case}: trainguard {mine}, GX {theirs}{note}")
    assert not differences, f"{len(differences)} differences:\n" + "\n".join(differences[:40])
    for check in ("mode", "quantiles", "distinct_count", "distinct_proportion"):  # both verdicts occur
        assert tally[(check, True)] >= 10 and tally[(check, False)] >= 10, (check, tally)
    return tally


def _summary(tally: collections.Counter) -> str:
    checks = sorted({check for check, _ in tally})
    parts = [f"{c} {tally[(c, True)] + tally[(c, False)]} ({tally[(c, True)]} pass)" for c in checks]
    return f"{sum(tally.values())} pairs agree: " + ", ".join(parts)


@pytest.fixture(scope="module")
def registered() -> None:
    from training.extensions import install as register_extensions

    register_extensions()


def test_custom_checks_give_stock_verdicts_on_sqlite(tmp_path, registered):
    import great_expectations as gx

    url = f"sqlite:///{tmp_path / 'twins.db'}"
    engine = sa.create_engine(url)
    _create(engine, _tables(postgres=False), postgres=False)
    engine.dispose()
    tally = _compare(gx.get_context(mode="ephemeral").data_sources.add_sqlite("w", connection_string=url), False)
    print(f"\nsqlite: {_summary(tally)}")


def test_custom_checks_give_stock_verdicts_on_postgres(registered):
    import great_expectations as gx

    with postgres_database("trainguard_twins") as url:
        engine = sa.create_engine(url)
        _create(engine, _tables(postgres=True), postgres=True)
        engine.dispose()
        source = gx.get_context(mode="ephemeral").data_sources.add_postgres("w", connection_string=url)
        tally = _compare(source, True)
    print(f"\npostgresql: {_summary(tally)} (the custom checks with and without the speed layer)")
