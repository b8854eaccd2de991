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

from training.errors import TrainguardError
from training.quality.distributions import drift_score
from training.quality.scaffold.profile import QUANTILES, ColumnProfile, TableProfile
from training.quality.scaffold.thresholds import (
    STRICTNESS,
    band,
    ratio_threshold,
    round_sig,
    sampling_noise,
    seasonal_lag,
    upper_threshold,
)

DRIFT_TYPES = {"psi": "expect_column_psi_to_be_less_than", "js_distance": "expect_column_js_distance_to_be_less_than"}
DRIFT_FLOORS = {"psi": 0.05, "js_distance": 0.05}
INTERVAL_FLOOR = 0.1
# Spread, extremes and row-level ranges get wider bands: they are heavy-tailed day to day.
TAIL_FACTOR = 1.5
MODE_LEAD = 1.5


@dataclass(frozen=True)
class ScaffoldOptions:
    """How the suite is derived; the defaults suit a few weeks of daily data."""

    strictness: str = "normal"
    target: str | None = None
    max_categories: int = 50
    bins: int = 10
    drift_methods: Sequence[str] = field(default_factory=lambda: ("psi", "js_distance"))

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


def _expectation(type_: str, note: str, **kwargs: Any) -> dict[str, Any]:
    return {"type": type_, "kwargs": kwargs, "notes": note}


def _band_note(what: str, values: Sequence[float], k: float, label: str) -> str:
    found = [v for v in values if v == v]
    return (
        f"{what} per day over {label}: {min(found):.6g} to {max(found):.6g}; "
        f"bounds are the daily mean +- {k:g} daily standard deviations, at least the daily range widened by a quarter."
    )


def _between(type_: str, col: ColumnProfile, stat: str, k: float, label: str, **limits: Any) -> dict | None:
    bounds = band(col.daily.get(stat, []), k, **limits)
    if bounds is None:
        return None
    note = _band_note(f"{stat.replace('_', ' ')} of {col.name}", col.daily[stat], k, label)
    return _expectation(type_, note, column=col.name, min_value=bounds[0], max_value=bounds[1])


def _table_expectations(profile: TableProfile, all_columns: Sequence[str], k: float) -> list[dict]:
    counts = [float(c) for c in profile.row_counts]
    rows = band(counts, k, integer=True, lower_limit=1)
    out = [
        _expectation(
            "expect_table_columns_to_match_set",
            f"Columns of {profile.table} when scaffolded; a missing or new column is schema skew.",
            column_set=list(all_columns),
            exact_match=True,
        ),
        _expectation(
            "expect_table_row_count_to_be_between",
            _band_note("Rows", counts, k, profile.label) + " At least 1: the day must have data.",
            min_value=int(rows[0]),
            max_value=int(rows[1]),
        ),
    ]
    lag = seasonal_lag(counts)
    if len(counts) > lag:
        threshold = ratio_threshold(counts, lag, k, INTERVAL_FLOOR)
        out.append(
            _expectation(
                "expect_day_metric_to_be_within_ratio_of_days_back",
                f"Row count against {lag} day(s) back ({'weekly seasonality found' if lag == 7 else 'day over day'} "
                f"in {profile.label}); threshold exp({k:g} x rms of the window's log ratios).",
                metric="row_count",
                date_column=profile.date_column,
                days_back=lag,
                ratio_formula="max_over_min",
                threshold=round(threshold, 4),
            )
        )
    return out


def _null_expectation(col: ColumnProfile, k: float, label: str, is_target: bool) -> dict:
    fractions = col.daily["null_fraction"]
    if is_target or max(fractions) == 0:
        why = "the target must be present to train" if is_target else f"never null in {label}"
        return _expectation("expect_column_values_to_not_be_null", f"{col.name} is {why}.", column=col.name)
    high = band(fractions, k, lower_limit=0.0, upper_limit=1.0)[1]
    return _expectation(
        "expect_column_proportion_of_non_null_values_to_be_between",
        _band_note(f"Null fraction of {col.name}", fractions, k, label),
        column=col.name,
        min_value=round(1 - high, 6),
        max_value=1.0,
    )


def _numeric_buckets(col: ColumnProfile, bins: int) -> tuple[list[float], list[list[int]]] | None:
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
                column=col.name,
                reference_counts=pooled,
                threshold=threshold,
                reference_label=label,
                **buckets,
            )
        )
    return out


def _tail_band(col: ColumnProfile, stat: str, k: float, integer: bool) -> tuple[float, float] | None:
    """Band of the daily min or max, widened by the distance to the daily 5%/95% quantile: the
    extremes of heavy-tailed features vary far more from day to day than their mean."""
    bounds = band(col.daily.get(stat, []), TAIL_FACTOR * k, integer=integer)
    inner = [v for v in col.daily.get("q0.05" if stat == "min" else "q0.95", []) if v == v]
    extremes = [v for v in col.daily.get(stat, []) if v == v]
    if bounds is None or not inner or not extremes:
        return bounds
    if stat == "max":
        reach = max(extremes) - sorted(inner)[len(inner) // 2]
        return bounds[0], max(bounds[1], round_sig(max(extremes) + reach))
    reach = sorted(inner)[len(inner) // 2] - min(extremes)
    return min(bounds[0], round_sig(min(extremes) - reach)), bounds[1]


def _numeric_expectations(col: ColumnProfile, options: ScaffoldOptions, label: str) -> list[dict]:
    k = options.k
    integer = col.type_family == "Integer"
    out = [
        _between("expect_column_mean_to_be_between", col, "mean", k, label),
        _between("expect_column_stdev_to_be_between", col, "stdev", TAIL_FACTOR * k, label, lower_limit=0.0),
    ]
    tails = {stat: _tail_band(col, stat, k, integer) for stat in ("min", "max")}
    for stat, bounds in tails.items():
        if bounds is not None:
            note = _band_note(f"{stat} of {col.name}", col.daily[stat], TAIL_FACTOR * k, label)
            quantile = "5%" if stat == "min" else "95%"
            note += f" Widened by the distance from the {stat} to the median daily {quantile} quantile."
            out.append(
                _expectation(
                    f"expect_column_{stat}_to_be_between",
                    note,
                    column=col.name,
                    min_value=bounds[0],
                    max_value=bounds[1],
                )
            )
    ranges = [band(col.daily.get(f"q{q}", []), k, integer=integer) for q in QUANTILES]
    if all(r is not None for r in ranges):
        out.append(
            _expectation(
                "expect_column_quantiles_to_be_between",
                f"Daily quantiles {list(QUANTILES)} of {col.name} over {label}, each with its own band "
                "(checked from counts in the day's single scan; same verdict as sorted quantiles).",
                column=col.name,
                quantile_ranges={"quantiles": list(QUANTILES), "value_ranges": [list(r) for r in ranges]},
            )
        )
    if tails["min"] and tails["max"]:
        out.append(
            _expectation(
                "expect_column_values_to_be_between",
                f"Every value of {col.name} within the bands of the daily minimum and maximum over {label}.",
                column=col.name,
                min_value=tails["min"][0],
                max_value=tails["max"][1],
            )
        )
    buckets = _numeric_buckets(col, options.bins)
    if buckets:
        edges, per_day = buckets
        out += _drift_expectations(col, {"bin_edges": edges}, per_day, options, label)
    return [e for e in out if e is not None]


def _dominant_mode(col: ColumnProfile, categories_counts: Counter) -> list[str] | None:
    """The most common value, when it is the same every day and clearly ahead of the next one;
    a near tie would make the check flip on ordinary days."""
    modes = {m for m in col.most_common if m is not None}
    top = categories_counts.most_common(2)
    if len(modes) != 1 or not top or (len(top) == 2 and top[0][1] < MODE_LEAD * top[1][1]):
        return None
    return sorted(modes)


def _text_expectations(col: ColumnProfile, options: ScaffoldOptions, label: str) -> list[dict]:
    k = options.k
    categories, per_day = _categorical_buckets(col)
    distinct = _between(
        "expect_column_distinct_count_to_be_between", col, "distinct", k, label, integer=True, lower_limit=0
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
            )
        )
        return [e for e in out if e is not None]
    if distinct is not None:
        # Counted from the known values' counts in the bundled query while no other value occurs.
        distinct["kwargs"]["known_values"] = categories
    out.append(
        _expectation(
            "expect_column_values_to_be_in_set",
            f"The {len(categories)} values of {col.name} seen in {label}; any other value is a new category.",
            column=col.name,
            value_set=categories,
        )
    )
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
                column=col.name,
                value_set=mode,
                known_values=categories,
            )
        )
    if per_day and categories:
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
    """Expectation configurations (``type``, ``kwargs``, ``notes``) for the profiled table."""
    if options.target and options.target not in profile.columns:
        raise TrainguardError(f"target column {options.target!r} is not among the profiled columns")
    out = _table_expectations(profile, all_columns, options.k)
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
        out.append(_null_expectation(col, options.k, profile.label, col.name == options.target))
        if col.type_family == "Boolean":
            out += _boolean_expectations(col, profile.label)
        else:
            out += (_numeric_expectations if col.numeric else _text_expectations)(col, options, profile.label)
    return out
