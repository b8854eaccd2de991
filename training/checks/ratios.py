"""Ratio formulas shared by baseline and interval comparisons (as in Airflow's interval check)."""

from __future__ import annotations

import math

RATIO_FORMULAS = ("max_over_min", "relative_diff")


def ratio(formula: str, current: float, reference: float) -> float:
    """``max_over_min``: max(a, b) / min(a, b); ``relative_diff``: |a - b| / |b|.

    A zero denominator gives 1.0 (max_over_min) or 0.0 (relative_diff) when both values are
    zero, and infinity otherwise, so that a collapse to zero is never silently ignored.
    """
    if formula == "max_over_min":
        low, high = sorted((abs(current), abs(reference)))
        if low == 0:
            return 1.0 if high == 0 else math.inf
        return high / low
    if formula == "relative_diff":
        if reference == 0:
            return 0.0 if current == 0 else math.inf
        return abs(current - reference) / abs(reference)
    raise ValueError(f"ratio_formula must be one of {RATIO_FORMULAS}. Got {formula!r} instead.")
