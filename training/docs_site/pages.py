"""trainguard's own pages in the Data Docs site: every run's data and model validations side by
side, and the history of each recorded value against its thresholds (static SVG, no scripts).
"""

from __future__ import annotations

import html
import json
import os
import re
from collections import defaultdict
from pathlib import Path

import sqlalchemy as sa

from training.core.atomic_files import write_atomically
from training.warehouse.tables import ensure_tables, models, observations, production, validations

PAGES_DIR = "trainguard"
DRIFT_SCORES = ("expect_column_psi_to_be_less_than", "expect_column_js_distance_to_be_less_than")
NAV_MARKER = "<!-- trainguard-nav -->"
STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222} table{border-collapse:collapse}
td,th{padding:.25rem .6rem;border-bottom:1px solid #ddd;text-align:left;font-size:.9rem}
.pass a,.warn a,.fail a{color:inherit}.pass{color:#17803d}
.warn{color:#b26a00;font-weight:600}.fail{color:#c62828;font-weight:600} nav a{margin-right:1rem}
figure{display:inline-block;margin:0 1rem 1.5rem 0} figcaption{font-size:.85rem}
"""


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><nav><a href='../index.html'>Data Docs index</a>"
        f"<a href='runs.html'>Runs</a><a href='history.html'>History</a></nav><h1>{html.escape(title)}</h1>"
        f"{body}</body></html>"
    )


def _link(site: Path, page: str | None, here: Path, label: str) -> str:
    """A link from ``here`` (in the final site) to a recorded page, if it is still in ``site``."""
    if not page:
        return html.escape(label)
    final = here.parent.parent
    try:
        inside = Path(page.removeprefix("file://")).relative_to(final)
    except ValueError:
        return html.escape(label)
    if not (site / inside).is_file():
        return f"{html.escape(label)} (page pruned)"
    relative = os.path.relpath(final / inside, here.parent)
    return f"<a href='{html.escape(Path(relative).as_posix())}'>{html.escape(label)}</a>"


def _verdict(row: dict | None) -> tuple[str, str]:
    if row is None:
        return "", "not run"
    if not row["success"]:
        return "fail", "FAILED"
    # A passed row with failed expectations passed with warnings (non-critical failures only).
    return ("warn", f"passed, {row['failed']} warnings") if row.get("failed") else ("pass", "passed")


def _cell(site: Path, here: Path, checkpoint: str, row: dict) -> str:
    css, verdict = _verdict(row)
    return f"<span class='{css}'>{_link(site, row['docs_page'], here, checkpoint + ': ' + verdict)}</span>"


def runs_page(site: Path, engine: sa.Engine, final_site: Path | None = None) -> str:
    """One row per day: its data validations, and the models trained for it with theirs."""
    here = (final_site or site) / PAGES_DIR / "runs.html"
    with engine.connect() as conn:
        rows = [r._asdict() for r in conn.execute(sa.select(validations).order_by(validations.c.run_at))]
        trained = [r._asdict() for r in conn.execute(sa.select(models))]
        live = {r.model_id for r in conn.execute(sa.select(production.c.model_id))}
    latest: dict[tuple[str, str], dict] = {}
    for row in rows:
        latest[(row["checkpoint"], row["batch_value"])] = row
    by_day: dict[str, list[dict]] = defaultdict(list)
    for model in trained:
        by_day[model["trained_for"]].append(model)
    days = sorted({v for (_, v), r in latest.items() if r["batch_key"] != "model_id"} | set(by_day), reverse=True)
    lines = ["<table><tr><th>day</th><th>data validations</th><th>models trained for the day</th></tr>"]
    for day in days:
        data = [
            _cell(site, here, c, r) for (c, v), r in sorted(latest.items()) if v == day and r["batch_key"] != "model_id"
        ]
        model_cells = []
        for model in by_day.get(day, []):
            checks = [r for (c, v), r in latest.items() if v == model["model_id"]]
            verdicts = [_cell(site, here, r["checkpoint"], r) for r in checks] or ["not validated"]
            star = " <b>(production)</b>" if model["model_id"] in live else ""
            model_cells.append(f"{html.escape(model['model_id'])} [{model['status']}]{star}: {', '.join(verdicts)}")
        lines.append(
            f"<tr><td>{html.escape(day)}</td><td>{'<br>'.join(data)}</td><td>{'<br>'.join(model_cells)}</td></tr>"
        )
    lines.append("</table>")
    return _page("Runs: data and model validations by day", "".join(lines))


def _thresholds(gx_root: Path) -> dict[tuple[str, str, str | None], list[float]]:
    """(suite, expectation type, column) -> threshold lines from the suites on disk."""
    found: dict[tuple[str, str, str | None], list[float]] = {}
    for path in (gx_root / "expectations").glob("*.json"):
        try:
            suite = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        for e in suite.get("expectations", []):
            kwargs, type_ = e.get("kwargs", {}), e.get("type", "")
            # "threshold" is on the chart's scale only for drift scores; elsewhere it is a ratio.
            keys = ["min_value", "max_value"] + (["threshold"] if type_ in DRIFT_SCORES else [])
            lines = [kwargs[k] for k in keys if isinstance(kwargs.get(k), int | float)]
            if lines:
                found[(suite.get("name", path.stem), type_, kwargs.get("column") or kwargs.get("metric"))] = lines
    return found


def _svg(points: list[dict], limits: list[float], width: int = 420, height: int = 160) -> str:
    values = [p["observed"] for p in points] + limits
    low, high = min(values), max(values)
    span = (high - low) or abs(high) or 1.0
    low, high = low - 0.08 * span, high + 0.08 * span

    def y(v: float) -> float:
        return round(height - 20 - (v - low) / (high - low) * (height - 30), 1)

    step = (width - 50) / max(len(points) - 1, 1)
    xs = [round(45 + i * step, 1) for i in range(len(points))]
    path = " ".join(f"{x},{y(p['observed'])}" for x, p in zip(xs, points, strict=True))
    parts = [f"<svg width='{width}' height='{height}' role='img'>"]
    for limit in limits:
        parts.append(
            f"<line x1='45' x2='{width - 5}' y1='{y(limit)}' y2='{y(limit)}' stroke='#c62828' stroke-dasharray='4 3'/>"
            f"<text x='2' y='{y(limit) + 4}' font-size='10' fill='#c62828'>{limit:.4g}</text>"
        )
    parts.append(f"<polyline fill='none' stroke='#1565c0' stroke-width='1.5' points='{path}'/>")
    for x, p in zip(xs, points, strict=True):
        color = "#17803d" if p["success"] else "#c62828"
        label = html.escape(f"{p['batch_value']}: {p['observed']:.6g}")
        parts.append(f"<circle cx='{x}' cy='{y(p['observed'])}' r='3' fill='{color}'><title>{label}</title></circle>")
    parts.append(
        f"<text x='45' y='{height - 4}' font-size='10'>{html.escape(points[0]['batch_value'])}</text>"
        f"<text x='{width - 5}' y='{height - 4}' font-size='10' text-anchor='end'>"
        f"{html.escape(points[-1]['batch_value'])}</text></svg>"
    )
    return "".join(parts)


def history_file(checkpoint: str) -> str:
    return "history-" + re.sub(r"[^A-Za-z0-9_.-]", "_", checkpoint) + ".html"


def history_pages(engine: sa.Engine, gx_root: Path, last: int = 365) -> dict[str, str]:
    """``history.html`` (one line per suite) and a page per suite with a chart per recorded
    value (latest observation per day or model, the last ``last`` of them) and its thresholds."""
    with engine.connect() as conn:
        rows = [r._asdict() for r in conn.execute(sa.select(observations).order_by(observations.c.run_at))]
    series: dict[tuple[str, str, str, str | None], dict[str, dict]] = defaultdict(dict)
    for row in rows:
        series[(row["checkpoint"], row["suite"], row["expectation_type"], row["column_name"])][row["batch_value"]] = row
    limits = _thresholds(gx_root)
    sections: dict[str, list[str]] = defaultdict(list)
    failures: dict[str, int] = defaultdict(int)
    for (checkpoint, suite, type_, column), by_batch in sorted(series.items(), key=lambda kv: tuple(map(str, kv[0]))):
        points = [by_batch[k] for k in sorted(by_batch)][-last:]
        title = type_.removeprefix("expect_") + (f" [{column}]" if column else "")
        failed = sum(not p["success"] for p in points)
        failures[checkpoint] += failed
        chart = _svg(points, limits.get((suite, type_, column), []))
        caption = f"{html.escape(title)}: {len(points)} runs, {failed} failed"
        sections[checkpoint].append(f"<figure>{chart}<figcaption>{caption}</figcaption></figure>")
    note = "<p>Recorded values per run (latest per day or model); dashed red lines are the suite's thresholds.</p>"
    pages = {history_file(c): _page(f"History of {c}", note + "".join(figs)) for c, figs in sorted(sections.items())}
    listing = "".join(
        f"<li><a href='{history_file(c)}'>{html.escape(c)}</a>: {len(figs)} charts, {failures[c]} failed values</li>"
        for c, figs in sorted(sections.items())
    )
    pages["history.html"] = _page(
        "History of recorded values", f"<ul>{listing}</ul>" if listing else "<p>No runs recorded yet.</p>"
    )
    return pages


def link_index(site: Path) -> None:
    """Add links to trainguard's pages at the top of the GX index (once)."""
    index = site / "index.html"
    if not index.is_file():
        return
    text = index.read_text(encoding="utf-8")
    if NAV_MARKER in text or "<body" not in text:
        return
    start = text.index(">", text.index("<body")) + 1
    nav = (
        f"{NAV_MARKER}<div style='padding:.5rem 1rem;background:#f3f6fa;font-family:system-ui'>trainguard: "
        f"<a href='{PAGES_DIR}/runs.html'>runs by day (data + model)</a> · "
        f"<a href='{PAGES_DIR}/history.html'>history charts</a></div>"
    )
    write_atomically(index, text[:start] + nav + text[start:])


def write_site_pages(site: Path, engine: sa.Engine, gx_root: Path, final_site: Path | None = None) -> None:
    """(Re)write runs.html and history.html and link them from the index. ``final_site`` is
    where ``site`` will be served from, when it is built elsewhere first."""
    if not site.is_dir():
        return
    ensure_tables(engine)
    folder = site / PAGES_DIR
    folder.mkdir(exist_ok=True)
    pages = {"runs.html": runs_page(site, engine, final_site), **history_pages(engine, gx_root)}
    for name, content in pages.items():
        write_atomically(folder / name, content)
    link_index(site)
