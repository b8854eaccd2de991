"""trainguard's touches on the pages GX writes: what a validation page is about, up front.

GX's validation page names its suite, asset and status; the day or model it validated shows
only under "Show more info...", and its breadcrumb reads ``__none__ / <run time>`` (the run
name GX is never given). Pages are rewritten after GX writes them (its templates cannot be
overridden): the header and the breadcrumb say day or model, pipeline and verdict, a failed
page lists its failed expectations first (``#failed-expectations``), and the index names each
row's day or model. The "Subscribe" footer (fixed, it covered the index's pagination) and the
links that led nowhere once the site was made offline are removed. Every rewrite is idempotent.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from training.core.atomic_files import write_atomically
from training.docs_site.paths import FAILED_ANCHOR, PAGE_MARKER
from training.warehouse.tables import ensure_tables, models, validations

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FOOTER = re.compile(r"\s*<footer>.*?</footer>", re.S)
# Links to GX's web site (or already made dead by an older offline pass): the text stays.
_DEAD_LINK = re.compile(r"<a href=\"(?:#|https?://[^\"]*greatexpectations\.io[^\"]*)\">(.*?)</a>", re.S)
_BREADCRUMB = re.compile(r'(<li class="ge-breadcrumbs-item breadcrumb-item active" aria-current="page">)(.*?)(</li>)')
_MAIN = '<div class="col-md-10 col-lg-10 col-xs-12 pl-md-4 pr-md-3">'
_SECTION = '<div class="container-fluid pl-sm-3 px-0"><div class="row"><div class="col-12 p-0">'
_FAILED_ROW = re.compile(r'<td id="(section-(\d+)-content-block-\d+-cell-\d+)-1" >')
# Anchors clear GX's sticky navigation bar, which gets a background: content scrolled under it
# showed through.
_CSS = (
    "<style>[id]{scroll-margin-top:90px}#trainguard-header h3{font-size:1.4rem}"
    "#failed-expectations td{vertical-align:top}nav.navbar.sticky-top{background:#fff}"
    "@media (prefers-color-scheme: dark){nav.navbar.sticky-top{background:#212529}}</style>"
)


@dataclass(frozen=True)
class PageFacts:
    """What a validation page is about: "day 2026-09-12" or "model <id>, trained for <day>"."""

    subject: str
    pipelines: tuple[str, ...]
    verdict: str  # FAILED, PASSED or "PASSED with N warnings"
    css: str  # danger, success or warning (Bootstrap's alert colours)
    checkpoint: str

    @property
    def pipeline_text(self) -> str:
        if not self.pipelines:
            return "no pipeline"
        return ("pipeline " if len(self.pipelines) == 1 else "pipelines ") + ", ".join(self.pipelines)


def _verdict(success: bool, failed: int) -> tuple[str, str]:
    if not success:
        return "FAILED", "danger"
    return (f"PASSED with {failed} warning{'s' * (failed != 1)}", "warning") if failed else ("PASSED", "success")


def pipelines_by_checkpoint(folder: Path) -> dict[str, tuple[str, ...]]:
    """Checkpoint -> the pipelines gating on it, read from the pipeline files (names only; a
    malformed file is reported by ``trainguard pipeline list``, not here)."""
    import yaml

    found: dict[str, list[str]] = {}
    for path in sorted(folder.glob("*.y*ml")) if folder.is_dir() else []:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeError, yaml.YAMLError):
            continue
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            continue
        for key in ("data_checkpoint", "model_checkpoint"):
            if isinstance(data.get(key), str):
                found.setdefault(data[key], []).append(data["name"])
    return {k: tuple(sorted(set(v))) for k, v in found.items()}


def _subject(key: str, value: str, trained: dict[str, dict]) -> tuple[str, tuple[str, ...] | None]:
    """What was validated, and the pipeline of a model (a day's pipelines come from the files)."""
    if key == "model_id":
        model = trained.get(value)
        if model is None:
            return f"model {value}", None
        return f"model {value}, trained for {model['trained_for']}", (model["pipeline"],)
    return (f"day {value}" if _DAY.match(value) else f"{key} {value}"), None


class SiteFacts:
    """The facts of every validation page of a site: from the recorded validations (the latest
    row naming each page), else from the page's stored GX result (a warehouse reset since)."""

    def __init__(self, engine: sa.Engine, final_site: Path, gx_root: Path, pipelines_dir: Path) -> None:
        ensure_tables(engine)
        query = sa.select(validations).where(validations.c.docs_page.is_not(None)).order_by(validations.c.id)
        with engine.connect() as conn:
            recorded = [r._asdict() for r in conn.execute(query)]
            self.trained = {r.model_id: r._asdict() for r in conn.execute(sa.select(models))}
        self.gx_root = gx_root
        self.pipelines = pipelines_by_checkpoint(pipelines_dir)
        self.recorded: dict[str, PageFacts] = {}
        for row in recorded:
            try:
                relative = Path(row["docs_page"].removeprefix("file://")).relative_to(final_site).as_posix()
            except ValueError:
                continue
            self.recorded[relative] = self._facts(row["checkpoint"], row["batch_key"], row["batch_value"], row)

    def _facts(self, checkpoint: str, key: str, value: str, row: dict) -> PageFacts:
        subject, pipelines = _subject(key, value, self.trained)
        verdict, css = _verdict(bool(row["success"]), int(row["failed"] or 0))
        return PageFacts(subject, pipelines or self.pipelines.get(checkpoint, ()), verdict, css, checkpoint)

    def of(self, relative: str) -> PageFacts | None:
        """The facts of the page at ``relative`` (a path inside the site), if it is a validation's."""
        return self.recorded.get(relative) or self._from_result(relative)

    def _from_result(self, relative: str) -> PageFacts | None:
        parts = Path(relative).parts
        if len(parts) < 3 or parts[0] != "validations":
            return None
        stored = self.gx_root / "uncommitted" / "validations" / Path(*parts[1:]).with_suffix(".json")
        try:
            result = json.loads(stored.read_text(encoding="utf-8"))
            key, value = next(iter((result.get("meta", {}).get("batch_parameters") or {}).items()))
        except (OSError, UnicodeError, ValueError, StopIteration, AttributeError):
            return None
        # Without the row: GX's verdict (a failed warning counts), the suite for its checkpoint
        # (trainguard names a checkpoint after its suite).
        failed = int((result.get("statistics") or {}).get("unsuccessful_expectations") or 0)
        row = {"success": bool(result.get("success")), "failed": failed}
        self.recorded[relative] = self._facts(parts[1], str(key), str(value), row)
        return self.recorded[relative]


def tidy(text: str) -> str:
    """No fixed newsletter footer, no link that leads nowhere."""
    return _DEAD_LINK.sub(r"\1", _FOOTER.sub("", text))


def _cell(text: str, cell_id: str) -> str:
    """The inner HTML of ``<td id=cell_id>``, nested tables included ("" if there is none)."""
    at = text.find(f'id="{cell_id}"')
    if at < 0:
        return ""
    start = text.index(">", at) + 1
    depth = 1
    for tag in re.finditer(r"<(/?)td\b", text[start:]):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return text[start : start + tag.start()]
    return ""


def _plain(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def failed_rows(text: str) -> list[tuple[str, str, str, str]]:
    """(row anchor, column section title, expectation HTML, observed HTML) of each failed
    expectation, in page order. GX marks succeeded rows for its "Failed Only" filter."""
    found = []
    for match in _FAILED_ROW.finditer(text):
        row, section = match.groups()
        if "fa-times" not in _cell(text, f"{row}-1"):
            continue
        heading = re.search(rf'id="section-{section}-content-block-1-header"[^>]*>(.*?)</div>', text, re.S)
        title = _plain(heading.group(1)) if heading else ""
        copy = [re.sub(r'\sid="[^"]*"', "", _cell(text, f"{row}-{i}")) for i in (2, 3)]
        found.append((f"{row}-1", title, *copy))
    return found


def _header(facts: PageFacts, failures: list[tuple[str, str, str, str]]) -> str:
    """The verdict line, then the failed expectations; a link with ``#failed-expectations``
    opens the page on both (also on a narrow screen, where GX's sidebar comes first)."""
    header = (
        f'<div id="trainguard-header" class="alert alert-{facts.css} mb-3">'
        f'<h3 class="m-0">{html.escape(facts.checkpoint)} · {html.escape(facts.subject)}: '
        f"<strong>{html.escape(facts.verdict)}</strong></h3>"
        f"<div>{html.escape(facts.pipeline_text)}</div></div>"
    )
    if not failures:
        return header
    label = "Failed expectations" if facts.css == "danger" else "Failed expectations (warnings, not blocking)"
    rows = "".join(
        f'<tr><td><a href="#{anchor}">{html.escape(title)}</a></td><td>{expectation}</td><td>{observed}</td></tr>'
        for anchor, title, expectation, observed in failures
    )
    return (
        f'<div id="{FAILED_ANCHOR}">{header}<div class="card mb-3 border-{facts.css}"><div class="card-header p-2">'
        f"<strong>{label} ({len(failures)})</strong>; every expectation follows below</div>"
        f'<table class="table table-sm mb-0"><thead><tr><th>column</th><th>expectation</th><th>observed</th>'
        f"</tr></thead><tbody>{rows}</tbody></table></div></div>"
    )


def annotate_validation(text: str, facts: PageFacts) -> str:
    """Header and breadcrumb of a validation page say what it is about (once per page)."""
    if PAGE_MARKER in text or _MAIN not in text:
        return text
    failures = failed_rows(text)
    trail = html.escape(f"{facts.subject} / {facts.pipeline_text} / {facts.verdict}")

    def crumb(match: re.Match) -> str:
        # "Validations / <suite> / <asset> / __none__ / <run time>": the run name GX never gets.
        parts = match.group(2).split(" / ")
        run_time = parts[-1] if len(parts) > 1 else ""
        head = " / ".join(p for p in parts[:-1] if p != "__none__") if len(parts) > 1 else match.group(2)
        return f"{match.group(1)}{head} / <strong>{trail}</strong> · run {run_time}{match.group(3)}"

    text = _BREADCRUMB.sub(crumb, text, count=1)
    title = html.escape(f"{facts.checkpoint} {facts.subject}: {facts.verdict}")
    text = re.sub(r"<title>[^<]*</title>", lambda _: f"<title>{title}</title>", text, count=1)  # GX's generic one
    text = text.replace("</head>", f"{_CSS}</head>", 1)
    # Laid out as GX lays out its sections, so the boxes line up with its Overview.
    block = f"{_SECTION}{_header(facts, failures)}</div></div></div>"
    return text.replace(_MAIN, f"{_MAIN}{PAGE_MARKER}{block}", 1)


_INDEX_ROW = re.compile(
    r"'run_name': '__none__'((?:(?!'run_name':).)*?)'_table_row_link_path': '(validations/[^'#]+\.html)'", re.S
)


def annotate_index(text: str, facts: SiteFacts) -> str:
    """The index's "Run Name" column (always ``__none__``) names each row's day or model; a
    failed row opens its page at the failed expectations."""

    def row(match: re.Match) -> str:
        found = facts.of(match.group(2))
        if found is None:
            return match.group(0)
        anchor = f"#{FAILED_ANCHOR}" if found.css != "success" else ""
        subject = found.subject.replace("\\", "\\\\").replace("'", "\\'")
        return f"'run_name': '{subject}'{match.group(1)}'_table_row_link_path': '{match.group(2)}{anchor}'"

    text = _INDEX_ROW.sub(row, text)
    return text.replace("'field': 'run_name', 'title': 'Run Name'", "'field': 'run_name', 'title': 'Day or model'")


def _inside(page: Path, site: Path) -> str | None:
    """``page``'s path inside ``site`` (either may be reached through the site's symlink)."""
    for inner, outer in ((page, site), (page.resolve(), site.resolve())):
        try:
            return inner.relative_to(outer).as_posix()
        except ValueError:
            continue
    return None


def touch_up(site: Path, pages: Iterable[Path], facts: SiteFacts) -> None:
    """Rewrite GX's ``pages`` in ``site``: tidy every page, annotate validation pages and the index."""
    for page in pages:
        if not page.is_file() or page.suffix != ".html":
            continue
        relative = _inside(page, site)
        if relative is None or relative.startswith(("static/", "trainguard/")):
            continue
        text = page.read_text(encoding="utf-8")
        new = tidy(text)
        if relative == "index.html":
            new = annotate_index(new, facts)
        elif (found := facts.of(relative)) is not None:
            new = annotate_validation(new, found)
        if new != text:
            write_atomically(page, new)
