"""History charts of trainguard's pages: static SVG a person can read without guessing.

Each chart has a value axis with numbers, the days (or models' training days) on the other
axis, every point's value on hover (an SVG ``<title>``), the values of failed points and of the
latest one written next to them, and the suite's thresholds as labelled lines. No script: the
charts show the same in any browser and in the page's HTML the tests read.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from dataclasses import dataclass
from pathlib import Path

DRIFT_SCORES = ("expect_column_psi_to_be_less_than", "expect_column_js_distance_to_be_less_than")
BASELINE = "expect_model_metric_to_be_within_baseline"
SLICES = "expect_model_slices_to_be_consistent"
PASS, FAIL, LIMIT, REFERENCE, LINE = "#17803d", "#c62828", "#c62828", "#757575", "#1565c0"
WIDTH, HEIGHT = 470, 230
LEFT, RIGHT, TOP, BOTTOM = 60, 82, 14, 44  # room for value labels, threshold labels and dates
LABEL_GAP = 68  # pixels between two dates on the x axis (a date is about 55 wide)


@dataclass(frozen=True)
class Limit:
    """A horizontal line: a threshold (red) or a reference value such as a baseline (grey)."""

    label: str
    value: float
    threshold: bool = True


@dataclass(frozen=True)
class Point:
    x: str  # a day 'YYYY-MM-DD' (for a model, its training day), else any batch value
    value: float
    success: bool
    hover: str  # what the point's tooltip says besides its value


def _baseline_limits(kwargs: dict) -> list[Limit]:
    """The baseline, and the worst value that still passes (``ExpectModelMetricToBeWithinBaseline``
    with its defaults: relative_diff, lower is better)."""
    base, threshold = kwargs.get("baseline"), kwargs.get("threshold")
    if not isinstance(base, int | float) or not isinstance(threshold, int | float):
        return []
    lower = kwargs.get("direction", "lower_is_better") == "lower_is_better"
    if kwargs.get("ratio_formula", "relative_diff") == "max_over_min":
        worst = base * threshold if lower else (base / threshold if threshold else None)
    else:
        worst = base * (1 + threshold) if lower else base * (1 - threshold)
    found = [Limit("baseline", float(base), threshold=False)]
    return found + ([Limit("limit", float(worst))] if worst is not None else [])


PRODUCTION = "expect_model_metric_to_be_within_production"


def note(type_: str, kwargs: dict) -> str:
    """What a chart cannot draw as a line: a limit that moves with each check."""
    if type_ == PRODUCTION and isinstance(kwargs.get("threshold"), int | float):
        formula = kwargs.get("ratio_formula", "relative_diff")
        return f"limit: at most {kwargs['threshold']:g} ({formula}) worse than the production model of each check"
    return ""


def _limits(type_: str, kwargs: dict) -> list[Limit]:
    if type_ == BASELINE:
        return _baseline_limits(kwargs)
    if type_ == SLICES:
        return [Limit("max", float(kwargs["max_ratio"]))] if isinstance(kwargs.get("max_ratio"), int | float) else []
    # "threshold" is on the chart's scale only for drift scores; elsewhere it is a ratio.
    keys = {"min_value": "min", "max_value": "max"} | ({"threshold": "max"} if type_ in DRIFT_SCORES else {})
    return [Limit(label, float(kwargs[k])) for k, label in keys.items() if isinstance(kwargs.get(k), int | float)]


def thresholds(gx_root: Path) -> dict[tuple[str, str, str | None], tuple[list[Limit], str]]:
    """(suite, expectation type, column or metric) -> its lines and :func:`note`, from the suites on disk."""
    found: dict[tuple[str, str, str | None], tuple[list[Limit], str]] = {}
    for path in (gx_root / "expectations").glob("*.json"):
        try:
            suite = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        for e in suite.get("expectations", []):
            kwargs, type_ = e.get("kwargs", {}), e.get("type", "")
            lines, text = _limits(type_, kwargs), note(type_, kwargs)
            if lines or text:
                key = (suite.get("name", path.stem), type_, kwargs.get("column") or kwargs.get("metric"))
                found[key] = (lines, text)
    return found


def number(value: float) -> str:
    """A value as a person reads it: 4 significant digits, thousands separated, no exponent below 1e9."""
    if value != 0 and abs(value) < 1e-3:
        return f"{value:.2e}"
    if abs(value) >= 1e4 or float(value).is_integer():
        return f"{value:,.0f}" if abs(value) < 1e9 else f"{value:.3e}"
    return f"{value:.4g}"


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round values between ``low`` and ``high`` for the value axis (1, 2, 2.5 or 5 times a power of ten)."""
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(low / step) * step
    return [round(first + i * step, 12) for i in range(int((high - first) / step + 1e-9) + 1)]


def _days(points: list[Point]) -> list[float] | None:
    """Day numbers of the points, when every point is a day (a gap between days shows)."""
    try:
        return [float(dt.date.fromisoformat(p.x).toordinal()) for p in points]
    except ValueError:
        return None


def _x_positions(points: list[Point]) -> tuple[list[float], list[int]]:
    """x of each point, and which points carry a label on the x axis: the first, the last, and
    between them any point at least a label's width from the previous label."""
    width = WIDTH - LEFT - RIGHT
    keys = _days(points) or [float(i) for i in range(len(points))]
    low, high = min(keys), max(keys)
    xs = [LEFT + width / 2 if high == low else LEFT + (k - low) / (high - low) * width for k in keys]
    labelled = [0]
    for i in range(1, len(points)):
        if xs[i] - xs[labelled[-1]] >= LABEL_GAP:
            labelled.append(i)
    if labelled[-1] != len(points) - 1 and len(points) > 1:
        # The last day is always named; it takes the place of a label too close to it.
        labelled[-1 if len(labelled) > 1 else len(labelled) :] = [len(points) - 1]
    return xs, labelled


def svg(points: list[Point], limits: list[Limit], x_title: str) -> str:
    """A line chart of ``points`` (oldest first) with its value axis, date axis and ``limits``."""
    values = [p.value for p in points] + [line.value for line in limits]
    low, high = min(values), max(values)
    span = (high - low) or abs(high) or 1.0
    low, high = low - 0.1 * span, high + 0.1 * span
    bottom = HEIGHT - BOTTOM

    def y(v: float) -> float:
        return round(bottom - (v - low) / (high - low) * (bottom - TOP), 1)

    xs, labelled = _x_positions(points)
    right = WIDTH - RIGHT
    parts = [f"<svg width='{WIDTH}' height='{HEIGHT}' role='img' font-family='system-ui,sans-serif' font-size='10'>"]
    for tick in _ticks(low, high):
        parts.append(
            f"<line class='grid' x1='{LEFT}' x2='{right}' y1='{y(tick)}' y2='{y(tick)}' stroke='#e5e5e5'/>"
            f"<text class='y-tick' x='{LEFT - 4}' y='{y(tick) + 3}' text-anchor='end'>{number(tick)}</text>"
        )
    parts.append(f"<line x1='{LEFT}' x2='{LEFT}' y1='{TOP}' y2='{bottom}' stroke='#999'/>")
    parts.append(f"<line x1='{LEFT}' x2='{right}' y1='{bottom}' y2='{bottom}' stroke='#999'/>")
    for i in labelled:
        x = round(xs[i], 1)
        parts.append(
            f"<line x1='{x}' x2='{x}' y1='{bottom}' y2='{bottom + 4}' stroke='#999'/>"
            f"<text class='x-tick' x='{x}' y='{bottom + 15}' text-anchor='middle'>{html.escape(points[i].x)}</text>"
        )
    parts.append(f"<text x='{(LEFT + right) / 2}' y='{HEIGHT - 6}' text-anchor='middle' fill='#555'>{x_title}</text>")
    for line in limits:
        color = LIMIT if line.threshold else REFERENCE
        parts.append(
            f"<line class='{'threshold' if line.threshold else 'reference'}' x1='{LEFT}' x2='{right}' "
            f"y1='{y(line.value)}' y2='{y(line.value)}' stroke='{color}' stroke-dasharray='5 3'>"
            f"<title>{html.escape(line.label)} {number(line.value)}</title></line>"
            f"<text x='{right + 4}' y='{y(line.value) + 3}' fill='{color}'>"
            f"{html.escape(line.label)} {number(line.value)}</text>"
        )
    path = " ".join(f"{round(x, 1)},{y(p.value)}" for x, p in zip(xs, points, strict=True))
    parts.append(f"<polyline fill='none' stroke='{LINE}' stroke-width='1.5' points='{path}'/>")
    for i, (x, p) in enumerate(zip(xs, points, strict=True)):
        verdict = "passed" if p.success else "FAILED"
        tip = html.escape(f"{p.hover}: {number(p.value)} ({verdict})")
        parts.append(
            f"<circle class='{'pass' if p.success else 'fail'}' cx='{round(x, 1)}' cy='{y(p.value)}' r='4' "
            f"fill='{PASS if p.success else FAIL}'><title>{tip}</title></circle>"
        )
        if not p.success or i == len(points) - 1:  # the values a reader looks for first
            anchor = "end" if i == len(points) - 1 and len(points) > 1 else "middle"  # clear of limit labels
            parts.append(
                f"<text class='value' x='{round(x, 1)}' y='{y(p.value) - 7}' text-anchor='{anchor}' "
                "paint-order='stroke' stroke='#fff' stroke-width='3' "
                f"fill='{PASS if p.success else FAIL}'>{number(p.value)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)
