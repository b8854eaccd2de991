"""trainguard's own pages in the Data Docs site: every run's data and model validations side by
side, and the history of each recorded value against its thresholds (static SVG, ``charts``).
"""

from __future__ import annotations

import html
import os
import re
from collections import defaultdict
from pathlib import Path

import sqlalchemy as sa

from training.core.atomic_files import write_atomically
from training.docs_site.charts import Point, svg, thresholds
from training.docs_site.paths import FAILED_ANCHOR
from training.warehouse.model_status import select_models
from training.warehouse.tables import ensure_tables, observations, validations

PAGES_DIR = "trainguard"
NAV_MARKER = "<!-- trainguard-nav -->"
STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222} table{border-collapse:collapse}
td,th{padding:.25rem .6rem;border-bottom:1px solid #ddd;text-align:left;font-size:.9rem}
.pass{color:#17803d}.warn{color:#b26a00;font-weight:600}.fail{color:#c62828;font-weight:600}
nav a{margin-right:1rem} figure{display:inline-block;margin:0 1rem 1.5rem 0;vertical-align:top}
figcaption{font-size:.85rem;max-width:470px} svg text{fill:#333} svg .value{font-weight:600}
"""


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><nav><a href='../index.html'>Data Docs index</a>"
        f"<a href='runs.html'>Runs</a><a href='history.html'>History</a></nav><h1>{html.escape(title)}</h1>"
        f"{body}</body></html>"
    )


def _link(site: Path, page: str | None, here: Path, label: str, css: str = "", anchor: str = "") -> str:
    """A link from ``here`` (in the final site) to a recorded page, if it is still in ``site``.

    ``css`` goes on the link itself (a link's own colour wins over its container's); a label
    without a page gets it on a span."""
    text = html.escape(label)
    if not page:
        return f"<span class='{css}'>{text}</span>"
    final = here.parent.parent
    try:
        inside = Path(page.removeprefix("file://")).relative_to(final)
    except ValueError:
        return f"<span class='{css}'>{text}</span>"
    if not (site / inside).is_file():
        return f"<span class='{css}'>{text} (page pruned)</span>"
    relative = Path(os.path.relpath(final / inside, here.parent)).as_posix()
    return f"<a class='{css}' href='{html.escape(relative + anchor)}'>{text}</a>"


def _verdict(row: dict | None) -> tuple[str, str]:
    if row is None:
        return "", "not run"
    if not row["success"]:
        return "fail", "FAILED"
    # A passed row with failed expectations passed with warnings (non-critical failures only).
    return ("warn", f"passed, {row['failed']} warnings") if row.get("failed") else ("pass", "passed")


def _cell(site: Path, here: Path, checkpoint: str, row: dict) -> str:
    css, verdict = _verdict(row)
    # A page with failed expectations (failures or warnings) opens on them (``gx_pages``).
    anchor = f"#{FAILED_ANCHOR}" if css in ("fail", "warn") else ""
    return _link(site, row["docs_page"], here, f"{checkpoint}: {verdict}", css, anchor)


def runs_page(site: Path, engine: sa.Engine, final_site: Path | None = None) -> str:
    """One row per day: its data validations, and the models trained for it with theirs."""
    here = (final_site or site) / PAGES_DIR / "runs.html"
    with engine.connect() as conn:
        rows = [r._asdict() for r in conn.execute(sa.select(validations).order_by(validations.c.run_at))]
        # One derived status per model (production, retired, candidate, rejected, unchecked).
        trained = [r._asdict() for r in conn.execute(select_models())]
    latest: dict[tuple[str, str], dict] = {}
    for row in rows:
        latest[(row["checkpoint"], row["batch_value"])] = row
    by_day: dict[str, list[dict]] = defaultdict(list)
    for model in trained:
        by_day[model["trained_for"]].append(model)
    # The latest rows grouped by batch value once (days of data, model ids): looking them up per
    # day instead of scanning every row for every day made the page quadratic in the history.
    # (Data cells in checkpoint order, a model's checks in the order they first ran.)
    by_value: dict[str, list[tuple[str, dict]]] = defaultdict(list)
    for (checkpoint, value), row in sorted(latest.items()):
        by_value[value].append((checkpoint, row))
    by_model: dict[str, list[dict]] = defaultdict(list)
    for (_, value), row in latest.items():
        by_model[value].append(row)
    days = sorted({v for (_, v), r in latest.items() if r["batch_key"] != "model_id"} | set(by_day), reverse=True)
    lines = ["<table><tr><th>day</th><th>data validations</th><th>models trained for the day</th></tr>"]
    for day in days:
        data = [_cell(site, here, c, r) for c, r in by_value.get(day, []) if r["batch_key"] != "model_id"]
        model_cells = []
        for model in by_day.get(day, []):
            checks = by_model.get(model["model_id"], [])
            verdicts = [_cell(site, here, r["checkpoint"], r) for r in checks] or ["not validated"]
            model_cells.append(f"{html.escape(model['model_id'])} [{model['status']}]: {', '.join(verdicts)}")
        lines.append(
            f"<tr><td>{html.escape(day)}</td><td>{'<br>'.join(data)}</td><td>{'<br>'.join(model_cells)}</td></tr>"
        )
    lines.append("</table>")
    return _page("Runs: data and model validations by day", "".join(lines))


def history_file(checkpoint: str) -> str:
    return "history-" + re.sub(r"[^A-Za-z0-9_.-]", "_", checkpoint) + ".html"


def _series(engine: sa.Engine) -> tuple[dict[tuple[str, str, str, str | None], dict[str, Point]], set[str]]:
    """(checkpoint, suite, expectation type, column) -> x -> the latest observation there, and
    the checkpoints that validate models. A model's observation is placed on its training day
    (the model validated last for a day wins): models are compared by when they were trained
    for, which a model id does not tell."""
    o = observations.c
    # Plain tuples of the columns used, in the stored order: a year of two suites is some 30,000
    # rows, and building a dict (and a datetime) per row cost most of a run's site update.
    query = sa.select(o.checkpoint, o.suite, o.expectation_type, o.column_name, o.batch_value, o.observed, o.success)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(o.run_at, o.id)).all()
        trained = {r.model_id: r.trained_for for r in conn.execute(select_models())}
    series: dict[tuple[str, str, str, str | None], dict[str, Point]] = defaultdict(dict)
    by_model: set[str] = set()
    for checkpoint, suite, type_, column, value, observed, success in rows:
        day = trained.get(value)
        if day is not None:
            by_model.add(checkpoint)
        hover = f"{day} (model {value})" if day else value
        point = Point(day or value, observed, bool(success), hover)
        series[(checkpoint, suite, type_, column)][point.x] = point
    return series, by_model


def history_pages(engine: sa.Engine, gx_root: Path, last: int = 365) -> dict[str, str]:
    """``history.html`` (one line per suite) and a page per suite with a chart per recorded
    value (latest observation per day or training day, the last ``last`` of them) and its thresholds."""
    series, by_model = _series(engine)
    limits = thresholds(gx_root)
    sections: dict[str, list[str]] = defaultdict(list)
    failures: dict[str, int] = defaultdict(int)
    for (checkpoint, suite, type_, column), by_x in sorted(series.items(), key=lambda kv: tuple(map(str, kv[0]))):
        points = [by_x[k] for k in sorted(by_x)][-last:]
        title = type_.removeprefix("expect_") + (f" [{column}]" if column else "")
        failed = sum(not p.success for p in points)
        failures[checkpoint] += failed
        x_title = "training day of the model" if checkpoint in by_model else "day"
        lines, note = limits.get((suite, type_, column), ([], ""))
        chart = svg(points, lines, x_title)
        span = f"{points[0].x} to {points[-1].x}" if len(points) > 1 else points[0].x
        runs = f"{len(points)} run{'s' * (len(points) != 1)}"
        caption = f"<b>{html.escape(title)}</b>: {runs} ({html.escape(span)}), {failed} failed"
        caption += f"; {html.escape(note)}" if note else ""
        sections[checkpoint].append(f"<figure>{chart}<figcaption>{caption}</figcaption></figure>")
    note = (
        "<p>The value recorded by each run (the latest per day; for models, per training day). Dashed red "
        "lines are the suite's thresholds, grey ones its reference values; red points failed. Hover a point "
        "for its value.</p>"
    )
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
