"""Drift scores between a current and a reference distribution, over shared buckets.

Pure functions on bucket counts, used by the drift expectations (on counts the database
returns) and by suite scaffolding (to derive thresholds from the reference window). Buckets are
either numeric bins, given by their inner edges, or categories plus one "other" bucket.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

# Proportions are floored before taking logs, so an empty bucket on either side gives a large
# but finite score (the usual PSI convention) instead of infinity.
EPSILON = 1e-4
OTHER = "__other__"
DRIFT_METHODS = ("psi", "js_distance")


def proportions(counts: Sequence[float]) -> list[float]:
    total = float(sum(counts))
    if total <= 0:
        raise ValueError("no values to compare: every bucket is empty")
    return [c / total for c in counts]


def psi(current: Sequence[float], reference: Sequence[float]) -> float:
    """Population stability index: sum of (p - q) * ln(p / q) over buckets."""
    score = 0.0
    for p, q in zip(_floored(current), _floored(reference), strict=True):
        score += (p - q) * math.log(p / q)
    return score


def js_distance(current: Sequence[float], reference: Sequence[float]) -> float:
    """Jensen-Shannon distance (square root of the divergence, base 2): 0 same, 1 disjoint."""
    p, q = proportions(current), proportions(reference)
    divergence = 0.0
    for a, b in zip(p, q, strict=True):
        m = (a + b) / 2
        if a > 0:
            divergence += a * math.log2(a / m) / 2
        if b > 0:
            divergence += b * math.log2(b / m) / 2
    return math.sqrt(max(divergence, 0.0))


def drift_score(method: str, current: Sequence[float], reference: Sequence[float]) -> float:
    if method == "psi":
        return psi(current, reference)
    if method == "js_distance":
        return js_distance(current, reference)
    raise ValueError(f"drift method must be one of {DRIFT_METHODS}. Got {method!r} instead.")


def _floored(counts: Sequence[float]) -> list[float]:
    floored = [max(p, EPSILON) for p in proportions(counts)]
    total = sum(floored)
    return [p / total for p in floored]


def bucket_labels(bin_edges: Sequence[float] | None, categories: Sequence[str] | None) -> list[str]:
    """Readable names of the buckets, in the order counts are given."""
    if bin_edges is not None:
        edges = [f"{e:.4g}" for e in bin_edges]
        if not edges:
            return ["all values"]
        inner = [f"[{lo}, {hi})" for lo, hi in itertools.pairwise(edges)]
        return [f"< {edges[0]}", *inner, f">= {edges[-1]}"]
    return [*(categories or []), "other"]


def largest_shift(
    current: Sequence[float], reference: Sequence[float], labels: Sequence[str]
) -> dict[str, float | str]:
    """The bucket whose share moved most, for the failure message."""
    p, q = proportions(current), proportions(reference)
    i = max(range(len(p)), key=lambda k: abs(p[k] - q[k]))
    return {"bucket": labels[i], "current": round(p[i], 4), "reference": round(q[i], 4)}
