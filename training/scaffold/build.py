"""Turn a reference-window profile into expectation configurations (plain dicts, no GX).

Schema skew: column set, types, nulls, domains, ranges. Value skew: bands on daily statistics,
drift (PSI and Jensen-Shannon distance against the reference distribution), and an interval
check on the row count whose lag follows the table's weekly seasonality. Every expectation
carries a note saying how its threshold was derived, so the suite can be reviewed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from training.checks.data.distributions import drift_score
from training.core.errors import TrainguardError
from training.scaffold.profile import QUANTILES, ColumnProfile, TableProfile
from training.scaffold.thresholds import (
    STRICTNESS,
    band,
    ratio_threshold,
    resampled_sd,
    round_sig,
    sampling_noise,
    seasonal_lag,
    upper_threshold,
    weekly,
)

DRIFT_TYPES = {"psi": "expect_column_psi_to_be_less_than", "js_distance": "expect_column_js_distance_to_be_less_than"}
DRIFT_FLOORS = {"psi": 0.05, "js_distance": 0.05}
INTERVAL_FLOOR = 0.1
# Spread, extremes and row-level ranges get wider bands: they are heavy-tailed day to day.
TAIL_FACTOR = 1.5
# The rolling baselines block, so they are wider than the warning bands: a real table's busy or
# quiet day must pass, a unit change or a shift of more than a standard deviation must not.
ROLLING_FACTOR = 1.25
MODE_LEAD = 1.5
SEVERITIES = ("critical", "warning", "info")
# Why each class of check blocks training (critical) or is only reported (warning); the reason is
# written into the expectation's notes.
CRITICAL = "critical"
WARNING = "warning"
WHY = {
    "schema": "schema skew: the model cannot be fed a changed schema",
    "volume": "volume collapse or duplication",
    "volume_trend": "volume away from its recent normal: reported, the interval check and outer band block",
    "nulls": "a null-rate burst",
    "categories": "new categories above a small share of the rows",
    "target": "the target column must be present to train",
    "shift": "a large shift of the feature (a unit change, a broken upstream job)",
    "drift": "moderate distribution drift: reported, does not block training",
    "new_values": "any new value at all: reported, the critical check allows a small share",
    "infinities": "a burst of infinite values (or of values outside the window's range)",
}
# A critical value set lets a small share of new values through (one odd row must not block a day).
NEW_VALUE_SHARE = 0.02
NULL_BURST = 0.05
# A distribution needs values to compare: a column with fewer non-null values than this on some
# reference day (a holiday flag, nearly always null) gets no drift check.
MIN_DRIFT_VALUES = 10  # a null fraction this much above the reference's highest blocks the day
OUTER_SHIFT = 1.0
# The rolling band's floor: two standard deviations of a day's mean drawn at random from the
# window's values. Rows of hourly or otherwise ordered tables are not independent draws, so k of
# them (as for the fixed bands) would hide a holiday's halved volume in an hourly column.
FLOOR_Z = 2.0  # the frozen outer band of a mean: this many pooled standard deviations beyond the window


@dataclass(frozen=True)
class ScaffoldOptions:
    """How the suite is derived; the defaults suit a few weeks of daily data."""

    strictness: str = "normal"
    target: str | None = None
    max_categories: int = 50
    bins: int = 10
    drift_methods: Sequence[str] = field(default_factory=lambda: ("psi", "js_distance"))
    # The suite's name: its rolling checks read the outcomes recorded for it.
    suite: str = ""
    # (selector, level): an expectation type or a column name, and critical / warning / info.
    severities: Sequence[tuple[str, str]] = ()

    @property
    def k(self) -> float:
        return STRICTNESS[self.strictness]

    def check(self) -> None:
        """Raise a usage error for options that cannot work, before any profiling."""
        if self.strictness not in STRICTNESS:
            raise TrainguardError(f"strictness must be one of {', '.join(STRICTNESS)}, not {self.strictness!r}")
        unknown = [m for m in self.drift_methods if m not in DRIFT_TYPES]
        if unknown:
            raise TrainguardError(f"unknown drift method(s) {', '.join(unknown)}: choose from {', '.join(DRIFT_TYPES)}")
        if self.bins < 2:
            raise TrainguardError(f"--bins must be at least 2, not {self.bins}")
        if self.max_categories < 1:
            raise TrainguardError(f"--max-categories must be at least 1, not {self.max_categories}")
        for selector, level in self.severities:
            if level not in SEVERITIES:
                raise TrainguardError(f"severity of {selector!r} must be one of {', '.join(SEVERITIES)}, not {level!r}")


def _expectation(type_: str, note: str, severity: str = CRITICAL, why: str = "schema", **kwargs: Any) -> dict:
    note = f"{note} Severity {severity}: {WHY[why]}."
    return {"type": type_, "kwargs": kwargs, "notes": note, "severity": severity}


def _apply_severities(expectations: list[dict], overrides: Sequence[tuple[str, str]]) -> list[dict]:
    """The user's ``--severity SELECTOR=LEVEL``: an expectation type or a column name."""
    for selector, level in overrides:
        for e in expectations:
            if selector in (e["type"], e["kwargs"].get("column")):
                e["severity"] = level
                e["notes"] += f" Severity set to {level} by --severity {selector}={level}."
    return expectations


def _band_note(what: str, values: Sequence[float], k: float, label: str) -> str:
    found = [v for v in values if v == v]
    return (
        f"{what} per day over {label}: {min(found):.6g} to {max(found):.6g}; "
        f"bounds are the daily mean +- {k:g} daily standard deviations, at least the daily range widened by a quarter."
    )


def _between(
    type_: str, col: ColumnProfile, stat: str, k: float, label: str, *, floor: float = 0.0, **limits: Any
) -> dict | None:
    bounds = band(col.daily.get(stat, []), k, floor=floor, **limits)
    if bounds is None:
        return None
    note = _band_note(f"{stat.replace('_', ' ')} of {col.name}", col.daily[stat], k, label)
    if floor:
        note += f" At least +-{floor:.4g}: what a day of this size moves by chance (resampled)."
    return _expectation(type_, note, WARNING, "drift", column=col.name, min_value=bounds[0], max_value=bounds[1])


def _table_expectations(profile: TableProfile, all_columns: Sequence[str], options: ScaffoldOptions) -> list[dict]:
    k = options.k
    counts = [float(c) for c in profile.row_counts]
    # A fixed count (24 hourly rows) still allows a missing or extra row or two (5%).
    floor = max(1.0, 0.05 * (sum(counts) / len(counts)))
    outer = band(counts, 2 * k, integer=True, lower_limit=1, floor=floor)
    lag = seasonal_lag(counts)
    out = [
        _expectation(
            "expect_table_columns_to_match_set",
            f"Columns of {profile.table} when scaffolded; a missing or new column is schema skew.",
            column_set=list(all_columns),
            exact_match=True,
        ),
        _expectation(
            "expect_table_row_count_to_be_between",
            _band_note("Rows", counts, 2 * k, profile.label)
            + " The frozen outer band; at least 1: the day must have data.",
            CRITICAL,
            "volume",
            min_value=int(outer[0]),
            max_value=int(outer[1]),
        ),
        # Day-to-day volume is noisy on real tables (holidays, busy days): the rolling band on the
        # row count reports, the interval check against the median of earlier days blocks.
        _history_band(profile, None, "row_count", counts, options, floor, outer, weekly_=lag == 7, why="volume_trend"),
    ]
    if len(counts) > lag:
        reference_days = 4 if lag == 7 else 7
        threshold = ratio_threshold(counts, lag, k, INTERVAL_FLOOR, reference_days)
        out.append(
            _expectation(
                "expect_day_metric_to_be_within_ratio_of_days_back",
                f"Row count against the median of the {reference_days} days every {lag} day(s) back "
                f"({'weekly seasonality found' if lag == 7 else 'day over day'} in {profile.label}), so one "
                f"incident among them does not fail the next day; "
                f"threshold exp({k:g} x rms of the window's log ratios, scaled for a median of {reference_days} days).",
                CRITICAL,
                "volume",
                metric="row_count",
                date_column=profile.date_column,
                days_back=lag,
                ratio_formula="max_over_min",
                threshold=round(threshold, 4),
                reference_days=reference_days,
            )
        )
    return out


def _history_band(
    profile: TableProfile,
    column: str | None,
    metric: str,
    daily: Sequence[float],
    options: ScaffoldOptions,
    floor: float,
    outer: tuple[float, float] | None,
    *,
    weekly_: bool,
    why: str,
) -> dict:
    severity = WARNING if why == "volume_trend" else CRITICAL
    subject = metric.replace("_", " ") + (f" of {column}" if column else "")
    reference = [[d.isoformat(), round_sig(v)] for d, v in zip(profile.days, daily, strict=True) if v == v]
    note = (
        f"Rolling baseline: the {subject} must stay within the median +- {ROLLING_FACTOR * options.k:g} "
        f"robust standard deviations of the last 28 days that passed"
        f"{' (same weekday: weekly seasonality found)' if weekly_ else ''}, "
        f"at least +-{floor:.4g} (sampling noise of a day this size); the days of {profile.label} start the history. "
        + (f"Frozen outer band {outer[0]:.6g}..{outer[1]:.6g} from the reference window." if outer else "")
    )
    kwargs: dict[str, Any] = {
        "metric": metric,
        "suite": options.suite,
        "date_column": profile.date_column,
        "k": ROLLING_FACTOR * options.k,
        "window": 28,
        "weekly": weekly_,
        "floor": round_sig(floor),
        "reference_values": reference,
    }
    if column:
        kwargs["column"] = column
    if outer:
        kwargs.update(min_value=outer[0], max_value=outer[1])
    return _expectation("expect_day_statistic_to_be_within_history_band", note, severity, why, **kwargs)


def _smallest_day(col: ColumnProfile, profile: TableProfile) -> int:
    """The fewest non-null values a reference day had (the size noise floors are computed for)."""
    sizes = [
        round(n * (1 - f))
        for n, f in zip(profile.row_counts, col.daily.get("null_fraction", []), strict=False)
        if f == f
    ]
    return max(1, min(sizes, default=1))


def _not_null_pair(col: ColumnProfile, why: str, subject: str, blocks: str, tolerance: float) -> list[dict]:
    """A not-null check that blocks above ``tolerance`` of nulls, and a warning on any null."""
    return [
        _expectation(
            "expect_column_values_to_not_be_null",
            f"{subject}; more than {tolerance:.1%} {blocks}.",
            CRITICAL,
            why,
            column=col.name,
            mostly=round(1 - tolerance, 6),
        ),
        _expectation(
            "expect_column_values_to_not_be_null",
            f"{subject}; any null is reported.",
            WARNING,
            "new_values",
            column=col.name,
        ),
    ]


def _null_expectations(col: ColumnProfile, k: float, label: str, is_target: bool, smallest: int) -> list[dict]:
    fractions = [f for f in col.daily["null_fraction"] if f == f]
    # A burst blocks; a stray null on a small day (one row of 24) is only reported. The target
    # too: training drops a row without a label, it cannot train on a day that lost many.
    tolerance = min(1.0, max(NULL_BURST, 1.5 / smallest))
    if is_target:
        return _not_null_pair(col, "target", f"{col.name} is the target", "rows without it cannot train", tolerance)
    if max(fractions, default=0) == 0:
        return _not_null_pair(col, "nulls", f"{col.name} was never null in {label}", "nulls is a burst", tolerance)
    high = band(fractions, k, lower_limit=0.0, upper_limit=1.0)[1]
    burst = min(1.0, max(high, max(fractions) + tolerance))
    note = _band_note(f"Null fraction of {col.name}", fractions, k, label)
    return [
        _expectation(
            "expect_column_proportion_of_non_null_values_to_be_between",
            note + f" Blocks above {burst:.4g}: the highest daily null fraction plus {tolerance:.1%}.",
            CRITICAL,
            "nulls",
            column=col.name,
            min_value=round(1 - burst, 6),
            max_value=1.0,
        ),
        _expectation(
            "expect_column_proportion_of_non_null_values_to_be_between",
            note,
            WARNING,
            "drift",
            column=col.name,
            min_value=round(1 - high, 6),
            max_value=1.0,
        ),
    ]


def _numeric_buckets(col: ColumnProfile, bins: int) -> tuple[list[float], list[list[int]]] | None:
    """Reference decile (or ``bins``-ile) edges and each day's counts in them."""
    import numpy as np

    pooled = np.concatenate([np.asarray(s, dtype=float) for s in col.samples if s]) if any(col.samples) else None
    if pooled is None or len(pooled) == 0:
        return None
    edges = sorted({float(e) for e in np.quantile(pooled, np.linspace(0, 1, bins + 1)[1:-1])})
    if not edges:
        return None
    per_day = [
        np.bincount(np.searchsorted(edges, np.asarray(s, dtype=float), side="right"), minlength=len(edges) + 1).tolist()
        for s in col.samples
        if s
    ]
    return edges, per_day


def _categorical_buckets(col: ColumnProfile) -> tuple[list[str], list[list[int]]]:
    pooled: Counter = Counter()
    for counts in col.value_counts:
        pooled.update(counts)
    categories = sorted(str(c) for c in pooled)
    per_day = [[int(counts.get(c, 0)) for c in categories] + [0] for counts in col.value_counts if counts]
    return categories, per_day


def _drift_expectations(
    col: ColumnProfile, buckets: dict[str, list], per_day: list[list[int]], options: ScaffoldOptions, label: str
) -> list[dict]:
    pooled = [sum(day[i] for day in per_day) for i in range(len(per_day[0]))]
    out = []
    for method in options.drift_methods:
        # Leave-one-out: each reference day against the other days, as a new day will be.
        scores = []
        for day in per_day:
            rest = [p - d for p, d in zip(pooled, day, strict=True)]
            if sum(rest) > 0 and sum(day) > 0:
                scores.append(drift_score(method, day, rest))
        smallest_day = min(sum(day) for day in per_day)
        noise = sampling_noise(method, len(pooled) - 1, smallest_day, sum(pooled), options.k)
        threshold = max(upper_threshold(scores, options.k, DRIFT_FLOORS[method]), noise)
        note = (
            f"{method} of each reference day against the rest of {label}: up to "
            f"{max(scores, default=0):.4g}; threshold = max(mean + {options.k:g} sd, 1.5 x max, "
            f"{DRIFT_FLOORS[method]}, sampling noise of a {smallest_day}-value day {noise:.4g})."
        )
        out.append(
            _expectation(
                DRIFT_TYPES[method],
                note,
                WARNING,
                "drift",
                column=col.name,
                reference_counts=pooled,
                threshold=threshold,
                reference_label=label,
                **buckets,
            )
        )
    return out


def _pooled(col: ColumnProfile) -> list[float]:
    return [v for day in col.samples for v in day]


def _tail_bound(col: ColumnProfile, stat: str, k: float, integer: bool, nonnegative: bool) -> float | None:
    """The one side of the daily min (its low end) or max (its high end) that signals trouble: a
    higher minimum or a lower maximum is not one. Widened by the distance to the median daily
    5%/95% quantile, as the extremes of heavy-tailed features vary far more than their mean."""
    bounds = band(col.daily.get(stat, []), TAIL_FACTOR * k, integer=integer)
    inner = sorted(v for v in col.daily.get("q0.05" if stat == "min" else "q0.95", []) if v == v)
    extremes = [v for v in col.daily.get(stat, []) if v == v]
    if bounds is None:
        return None
    if stat == "max":
        reach = max(extremes) - inner[len(inner) // 2] if inner else 0.0
        return max(bounds[1], round_sig(max(extremes) + reach))
    reach = inner[len(inner) // 2] - min(extremes) if inner else 0.0
    low = min(bounds[0], round_sig(min(extremes) - reach))
    return max(low, 0.0) if nonnegative else low


def _numeric_expectations(
    col: ColumnProfile, profile: TableProfile, options: ScaffoldOptions, smallest: int
) -> list[dict]:
    import numpy as np

    k, label = options.k, profile.label
    integer = col.type_family == "Integer"
    pooled = _pooled(col)
    nonnegative = bool(pooled) and min(pooled) >= 0 and all(v >= 0 for v in col.daily.get("min", []) if v == v)
    rng = np.random.default_rng(0)

    def noise(stat: str, z: float = k) -> float:
        return z * resampled_sd(pooled, smallest, stat, rng) if pooled else 0.0

    zero = {"lower_limit": 0.0} if nonnegative else {}
    means = col.daily.get("mean", [])
    out: list[dict | None] = []
    found = [v for v in means if v == v]
    infinite = max((v for v in col.daily.get("nonfinite_fraction", []) if v == v), default=0.0)
    # GX computes a column's mean, standard deviation, minimum and maximum over all its values:
    # one infinity makes them infinite (or NaN) on its day. A column with infinities in the
    # window gets its range checked row by row instead, their share allowed as nulls are.
    aggregates = infinite == 0
    if found and aggregates:
        spread = float(np.std(pooled, ddof=1)) if len(pooled) > 1 else 0.0
        inner = band(found, k, floor=noise("mean"), **zero)
        outer = (
            round_sig(min(inner[0], min(found) - OUTER_SHIFT * spread)),
            round_sig(max(inner[1], max(found) + OUTER_SHIFT * spread)),
        )
        if nonnegative:
            outer = (max(outer[0], 0.0), outer[1])
        out.append(
            _history_band(
                profile,
                col.name,
                "mean",
                means,
                options,
                noise("mean", FLOOR_Z),
                outer,
                weekly_=weekly(found),
                why="shift",
            )
        )
    if aggregates:
        out.append(_between("expect_column_mean_to_be_between", col, "mean", k, label, floor=noise("mean"), **zero))
        out.append(
            _between(
                "expect_column_stdev_to_be_between",
                col,
                "stdev",
                TAIL_FACTOR * k,
                label,
                floor=noise("stdev"),
                lower_limit=0.0,
            )
        )
    tails = {stat: _tail_bound(col, stat, k, integer, nonnegative) for stat in ("min", "max")}
    for stat, bound in tails.items():
        if bound is None or not aggregates:
            continue
        note = _band_note(f"{stat} of {col.name}", col.daily[stat], TAIL_FACTOR * k, label)
        side = "lower" if stat == "min" else "upper"
        note += (
            f" Widened by the distance from the {stat} to the median daily {'5%' if stat == 'min' else '95%'} "
            f"quantile; only the {side} end is checked (a {'higher minimum' if stat == 'min' else 'lower maximum'} "
            "is no trouble)"
            + ("; never below 0 (the column is never negative)." if nonnegative and stat == "min" else ".")
        )
        kwargs = {"min_value": bound} if stat == "min" else {"max_value": bound}
        out.append(
            _expectation(f"expect_column_{stat}_to_be_between", note, WARNING, "drift", column=col.name, **kwargs)
        )
    ranges = [band(col.daily.get(f"q{q}", []), k, integer=integer, floor=noise(f"q{q}"), **zero) for q in QUANTILES]
    # Infinities sit beyond the outermost quantiles while their share stays well inside the tail.
    if all(r is not None for r in ranges) and infinite < QUANTILES[0] / 2:
        out.append(
            _expectation(
                "expect_column_quantiles_to_be_between",
                f"Daily quantiles {list(QUANTILES)} of {col.name} over {label}, each with its own band, at least "
                "what a day of this size moves by chance (resampled) (checked from counts in the day's single "
                "scan; same verdict as sorted quantiles).",
                WARNING,
                "drift",
                column=col.name,
                quantile_ranges={"quantiles": list(QUANTILES), "value_ranges": [list(r) for r in ranges]},
            )
        )
    out += _range_expectations(col, tails, infinite, label, smallest)
    # At least five values per bin on the smallest day: more bins only measure sampling noise.
    buckets = _numeric_buckets(col, max(2, min(options.bins, smallest // 5)))
    if buckets:
        edges, per_day = buckets
        if smallest >= MIN_DRIFT_VALUES:
            out += _drift_expectations(col, {"bin_edges": edges}, per_day, options, label)
    return [e for e in out if e is not None]


def _range_expectations(
    col: ColumnProfile, tails: dict[str, float | None], infinite: float, label: str, smallest: int
) -> list[dict]:
    """Every value within the tail bounds: a warning, or for a column that held infinities in
    the window, a pair that allows their share (see :func:`_finite_range_pair`)."""
    low, high = tails["min"], tails["max"]
    if low is None or high is None:
        return []
    if infinite:
        return _finite_range_pair(col, low, high, infinite, label, smallest)
    return [
        _expectation(
            "expect_column_values_to_be_between",
            f"Every value of {col.name} within the bands of the daily minimum and maximum over {label}.",
            WARNING,
            "drift",
            column=col.name,
            min_value=low,
            max_value=high,
        )
    ]


def _finite_range_pair(
    col: ColumnProfile, low: float, high: float, infinite: float, label: str, smallest: int
) -> list[dict]:
    """Row-level range checks for a column that held infinities in the window: a share of values
    outside the range (infinities included) above the window's highest plus a tolerance blocks,
    more than the window's highest is reported."""
    tolerance = min(1.0, max(NULL_BURST, 1.5 / smallest))
    burst = min(1.0, infinite + tolerance)
    subject = (
        f"Every value of {col.name} within the bands of the daily minimum and maximum over {label}, "
        f"computed on finite values; up to {infinite:.4g} of the non-null values per day were infinite"
    )
    return [
        _expectation(
            "expect_column_values_to_be_between",
            f"{subject}; blocks above {burst:.4g} outside the range (infinities included): "
            f"the highest daily share plus {tolerance:.1%}.",
            CRITICAL,
            "infinities",
            column=col.name,
            min_value=low,
            max_value=high,
            mostly=round(1 - burst, 6),
        ),
        _expectation(
            "expect_column_values_to_be_between",
            f"{subject}; more than that share outside the range is reported.",
            WARNING,
            "drift",
            column=col.name,
            min_value=low,
            max_value=high,
            mostly=round(1 - infinite, 6),
        ),
    ]


def _dominant_mode(col: ColumnProfile, categories_counts: Counter) -> list[str] | None:
    """The most common value, when it is the same every day and clearly ahead of the next one;
    a near tie would make the check flip on ordinary days."""
    modes = {m for m in col.most_common if m is not None}
    top = categories_counts.most_common(2)
    if None in col.most_common:  # a day without a value has no mode: the check would fail on it
        return None
    if len(modes) != 1 or not top or (len(top) == 2 and top[0][1] < MODE_LEAD * top[1][1]):
        return None
    return sorted(modes)


def _text_expectations(
    col: ColumnProfile, profile: TableProfile, options: ScaffoldOptions, smallest: int
) -> list[dict]:
    k, label = options.k, profile.label
    categories, per_day = _categorical_buckets(col)
    distinct = _between(
        "expect_column_distinct_count_to_be_between", col, "distinct", k, label, integer=True, lower_limit=0, floor=1.0
    )
    out = [distinct]
    if col.overflowed or len(categories) > options.max_categories:
        out.append(
            _between(
                "expect_column_distinct_proportion_to_be_between",
                col,
                "unique_proportion",
                k,
                label,
                lower_limit=0.0,
                upper_limit=1.0,
                floor=1.5 / smallest,
            )
        )
        return [e for e in out if e is not None]
    if distinct is not None:
        # Counted from the known values' counts in the bundled query while no other value occurs.
        distinct["kwargs"]["known_values"] = categories
    share = min(1.0, max(NEW_VALUE_SHARE, 1.5 / smallest))  # a nearly empty column: at most all rows
    out += [
        _expectation(
            "expect_column_values_to_be_in_set",
            f"The {len(categories)} values of {col.name} seen in {label}; new values on more than "
            f"{share:.1%} of the rows (a new category, a changed spelling) block the day.",
            CRITICAL,
            "categories",
            column=col.name,
            value_set=categories,
            mostly=round(1 - share, 6),
        ),
        _expectation(
            "expect_column_values_to_be_in_set",
            f"The {len(categories)} values of {col.name} seen in {label}; any other value is reported.",
            WARNING,
            "new_values",
            column=col.name,
            value_set=categories,
        ),
    ]
    pooled: Counter = Counter()
    for counts in col.value_counts:
        pooled.update(counts)
    mode = _dominant_mode(col, pooled)
    if mode:
        out.append(
            _expectation(
                "expect_column_mode_to_be_in_set",
                f"{mode[0]!r} was the most common value of {col.name} on every day of {label}, "
                f"at least {MODE_LEAD:g} times as frequent as the next.",
                WARNING,
                "drift",
                column=col.name,
                value_set=mode,
                known_values=categories,
            )
        )
    if per_day and categories and smallest >= MIN_DRIFT_VALUES:
        out += _drift_expectations(col, {"categories": categories}, per_day, options, label)
    return [e for e in out if e is not None]


def _boolean_expectations(col: ColumnProfile, label: str) -> list[dict]:
    """Booleans compare as booleans (not as the strings 'True'/'False'); PostgreSQL cannot
    average them, so they get their value set only."""
    seen: Counter = Counter()
    for counts in col.value_counts:
        seen.update(counts)
    values = sorted({str(v).lower() in ("true", "1") for v in seen})
    note = f"Values of {col.name} seen in {label}."
    return [_expectation("expect_column_values_to_be_in_set", note, column=col.name, value_set=values)]


def build_expectations(profile: TableProfile, all_columns: Sequence[str], options: ScaffoldOptions) -> list[dict]:
    """Expectation configurations (``type``, ``kwargs``, ``notes``, ``severity``) for the profiled table."""
    if options.target and options.target not in profile.columns:
        raise TrainguardError(f"target column {options.target!r} is not among the profiled columns")
    out = _table_expectations(profile, all_columns, options)
    for col in profile.columns.values():
        if col.type_names:
            out.append(
                _expectation(
                    "expect_column_values_to_be_in_type_list",
                    f"{col.name} was {col.type_family} when scaffolded.",
                    column=col.name,
                    type_list=col.type_names,
                )
            )
        smallest = _smallest_day(col, profile)
        out += _null_expectations(col, options.k, profile.label, col.name == options.target, smallest)
        if col.type_family == "Boolean":
            out += _boolean_expectations(col, profile.label)
        else:
            out += (_numeric_expectations if col.numeric else _text_expectations)(col, profile, options, smallest)
    _check_finite(out)
    return _apply_severities(out, options.severities)


def _check_finite(expectations: Sequence[dict]) -> None:
    """Refuse a non-finite number anywhere in the configurations: the suite JSON would hold
    ``Infinity`` or ``NaN`` (not JSON), and such a bound no longer checks anything."""
    import json

    for e in expectations:
        try:
            json.dumps(e["kwargs"], allow_nan=False)
        except ValueError:
            column = e["kwargs"].get("column")
            raise TrainguardError(
                f"scaffold computed a non-finite threshold for {e['type']}"
                + (f" on column {column!r}" if column else "")
                + "; nothing was written"
            ) from None
