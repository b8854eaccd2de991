"""Thresholds from day-to-day variation in the reference window.

A statistic (a day's mean, null fraction, row count...) gets a band around its daily values:
``mean +- k * stdev`` of the daily values, never narrower than the observed daily range plus a
quarter of it, plus a small floor so constant statistics still allow rounding noise. ``k``
comes from the chosen strictness.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

STRICTNESS = {"loose": 6.0, "normal": 4.5, "strict": 3.0}
SEASONAL_LAGS = (1, 7)


def _finite(values: Sequence[float]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(v)]


def _mean_sd(values: Sequence[float]) -> tuple[float, float]:
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    return mean, sd


def round_sig(value: float) -> float:
    return float(f"{value:.6g}")


def band(
    values: Sequence[float],
    k: float,
    *,
    integer: bool = False,
    lower_limit: float | None = None,
    upper_limit: float | None = None,
    floor: float = 0.0,
) -> tuple[float, float] | None:
    """(low, high) for a daily statistic, or None when the window has no value for it.

    ``floor`` widens each side by at least that much (what a day of the table's size moves by
    chance), so a statistic that was constant in the window still gets a band of real width."""
    found = _finite(values)
    if not found:
        return None
    mean, sd = _mean_sd(found)
    spread = max(found) - min(found)
    floor = max(floor, 0.01 * abs(mean), 1e-9, 1.0 if integer else 0.0)
    low = min(mean - k * sd, min(found) - 0.25 * spread) - floor
    high = max(mean + k * sd, max(found) + 0.25 * spread) + floor
    if integer:
        low, high = math.floor(low), math.ceil(high)
    if lower_limit is not None:
        low = max(low, lower_limit)
    if upper_limit is not None:
        high = min(high, upper_limit)
    return round_sig(low), round_sig(high)


def upper_threshold(scores: Sequence[float], k: float, floor: float) -> float:
    """Largest acceptable value of a score that is ~0 on a normal day (drift, ratio - 1)."""
    found = _finite(scores)
    if not found:
        return floor
    mean, sd = _mean_sd(found)
    return round_sig(max(mean + k * sd, 1.5 * max(found), floor))


def log_ratios(series: Sequence[float], lag: int) -> list[float]:
    """ln(day / day ``lag`` earlier) over a contiguous window of positive values."""
    return [
        math.log(series[i] / series[i - lag]) for i in range(lag, len(series)) if series[i] > 0 and series[i - lag] > 0
    ]


def ratio_threshold(series: Sequence[float], lag: int, k: float, floor: float, reference_days: int = 1) -> float:
    """A ``max_over_min`` threshold for comparing a day with ``lag`` days back (or with the
    median of ``reference_days`` such days).

    The log ratio of a stable series scatters around 0; its root mean square is the scale, so
    the threshold is exp(k * rms), at least ``1 + floor``. Against one day the ratio carries the
    noise of two days (variance 2 s^2); against the median of n days about s^2 (1 + pi / 2n), so
    the window's one-day ratios are scaled by sqrt((1 + pi / 2n) / 2).
    """
    logs = log_ratios(series, lag)
    if not logs:
        return 1 + floor
    rms = math.sqrt(sum(v * v for v in logs) / len(logs))
    if reference_days > 1:
        rms *= math.sqrt((1 + math.pi / (2 * reference_days)) / 2)
    return round_sig(max(math.exp(k * rms), 1 + floor))


def seasonal_lag(series: Sequence[float]) -> int:
    """7 when the series moves less week-over-week than day-over-day (weekly seasonality), else 1.

    Needs two full weeks to tell; shorter windows compare with the day before.
    """
    if len(series) < 14:
        return 1
    spread = {lag: sum(abs(v) for v in log_ratios(series, lag)) / (len(series) - lag) for lag in SEASONAL_LAGS}
    return min(spread, key=spread.get)


def sampling_noise(method: str, degrees: int, day_values: int, reference_values: int, k: float) -> float:
    """The drift score two samples of the *same* distribution reach with the tail probability of
    ``k`` standard normal deviations.

    Both scores are approximately chi-square with ``degrees`` (buckets - 1) degrees of freedom
    times (1/n + 1/N): PSI directly, the Jensen-Shannon divergence divided by 8 ln 2. A small
    day with many bins drifts by chance; the threshold must allow for it.
    """
    from scipy.stats import chi2, norm

    if degrees < 1 or day_values < 1 or reference_values < 1:
        return 0.0
    scale = chi2.isf(norm.sf(k), degrees) * (1 / day_values + 1 / reference_values)
    return round_sig(scale if method == "psi" else math.sqrt(scale / (8 * math.log(2))))


def weekly(series: Sequence[float]) -> bool:
    """Whether a daily series moves less week-over-week than day-over-day (two weeks needed)."""
    found = [float(v) for v in series]
    if len(found) < 14 or not all(math.isfinite(v) for v in found):
        return False

    def spread(lag: int) -> float:
        return sum(abs(found[i] - found[i - lag]) for i in range(lag, len(found))) / (len(found) - lag)

    # A clear margin: for a series without a weekly pattern the two spreads are equal on average,
    # and half of such series would otherwise be called weekly by chance.
    return spread(7) < 0.7 * spread(1)


def resampled_sd(pooled: Sequence[float], size: int, statistic: str, rng: object, draws: int = 200) -> float:
    """Standard deviation of ``statistic`` over days of ``size`` values drawn from the pooled
    reference values: how much a day of that size moves by chance alone (discreteness and small
    days included). Days larger than 2,000 values are drawn at 2,000 and scaled by sqrt(m/n)."""
    import numpy as np

    values = np.asarray(pooled, dtype=float)
    if len(values) < 2 or size < 1:
        return 0.0
    m = min(size, 2000)
    draws_of = rng.choice(values, size=(draws, m), replace=True)  # type: ignore[attr-defined]
    if statistic == "mean":
        stats = draws_of.mean(axis=1)
    elif statistic == "stdev":
        stats = draws_of.std(axis=1, ddof=1) if m > 1 else np.zeros(draws)
    else:  # a quantile, "q0.25"
        stats = np.quantile(draws_of, float(statistic[1:]), axis=1)
    return float(stats.std(ddof=1) * math.sqrt(m / size))
