"""The Data Docs site as an audit trail: offline (no request leaves the site, checked in a real
headless Chromium), data and model validations side by side, history charts, retention."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import threading
from pathlib import Path

import pytest

from tests.browser import Browser, chromium
from tests.conftest import REPO, make_project, skip_or_fail

ARTIFACTS = REPO / "test-artifacts"
SKEWED = dt.date(2026, 9, 12)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Validated days (one failing), a trained and validated model, and a built site."""
    from training.core.settings import get_settings
    from training.demo.generate import Skew
    from training.demo.seed import seed_demo
    from training.demo.spec import DEMO_SPEC
    from training.docs_site.build import build_docs
    from training.gx.run import run_checkpoint
    from training.model.train import train_for_day
    from training.warehouse.engine import get_engine

    settings, env = make_project(tmp_path_factory.mktemp("site"))
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update({**env, "TRAINGUARD_MODEL_STORE": str(settings.var_dir / "models")})
    get_settings.cache_clear()
    try:
        settings = get_settings()
        seed_demo(
            get_engine(settings.warehouse_url), dt.date(2026, 9, 1), SKEWED, [Skew(SKEWED, "mean_shift", "distance_km")]
        )
        days = [(dt.date(2026, 9, 1) + dt.timedelta(days=i)).isoformat() for i in range(12)]
        run = run_checkpoint("trips_daily", days, settings=settings)
        assert [r.success for r in run.results] == [True] * 11 + [False]
        model = train_for_day(DEMO_SPEC, dt.date(2026, 9, 11), settings).model_id
        assert run_checkpoint("trips_model", [model], by_date=False, settings=settings).success
        build_docs(settings)
        yield settings, run.results[-1].docs_page.removeprefix("file://")
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


def test_pages_refer_to_nothing_outside_the_site(site):
    settings, _ = site
    pages = list(settings.data_docs_dir.rglob("*.html"))
    assert len(pages) >= 15
    offenders = {
        str(p.relative_to(settings.data_docs_dir)): re.findall(r"https?://[^\s\"'<>]+", p.read_text())[:3]
        for p in pages
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    assert (settings.data_docs_dir / "static" / "vendor" / "jquery" / "jquery-3.7.1.min.js").is_file()


def test_runs_page_puts_data_and_model_validations_side_by_side(site):
    settings, failed_page = site
    runs = (settings.data_docs_dir / "trainguard" / "runs.html").read_text()
    row = re.search(rf"<tr><td>{SKEWED}</td>(.*?)</tr>", runs).group(1)
    assert "trips_daily: FAILED" in row
    model_row = re.search(r"<tr><td>2026-09-11</td>(.*?)</tr>", runs).group(1)
    assert "trips_daily: passed" in model_row and "trips_model: passed" in model_row
    # The verdict's class is on the link itself, and a failed page opens on its failures.
    link = re.search(r"<a class='fail' href='([^'#]+)#failed-expectations'>trips_daily: FAILED</a>", runs).group(1)
    assert str((settings.data_docs_dir / "trainguard" / link).resolve()) == os.path.realpath(failed_page)
    assert "<a class='pass' href=" in model_row
    index = (settings.data_docs_dir / "index.html").read_text()
    assert "trainguard/runs.html" in index and "trainguard/history.html" in index


def test_validation_pages_say_what_they_validated_and_lead_with_failures(site):
    settings, failed_page = site
    page = Path(failed_page).read_text()
    crumb = re.search(r'breadcrumb-item active" aria-current="page">(.*?)</li>', page).group(1)
    assert "__none__" not in crumb
    assert f"day {SKEWED} / pipeline trips_duration / FAILED" in crumb
    header = re.search(r'<div id="trainguard-header"[^>]*>(.*?)</div></div>', page).group(1)
    assert f"trips_daily · day {SKEWED}: <strong>FAILED</strong>" in header and "pipeline trips_duration" in header
    failed = re.search(r'<div id="failed-expectations">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    assert failed.count("<tr>") == 1 and "distance_km" in failed and "mean must be" in failed
    target = re.search(r'<a href="#([^"]+)">distance_km</a>', failed).group(1)
    assert f'id="{target}"' in page  # the row in the full list
    model = next((settings.data_docs_dir / "validations" / "trips_model").rglob("*.html")).read_text()
    assert re.search(
        r"model trips_duration-20260911-\w+, trained for 2026-09-11 / pipeline trips_duration / PASSED", model
    )
    assert 'id="failed-expectations"' not in model
    index = (settings.data_docs_dir / "index.html").read_text()
    assert (
        f"'run_name': 'day {SKEWED}'" in index
        and "'title': 'Day or model'" in index
        and "'run_name': '__none__'" not in index
    )
    assert re.search(rf"_table_row_link_path': 'validations/[^']+{SKEWED}\.html#failed-expectations'", index)
    # No link that leads nowhere, no fixed newsletter footer, on any page GX wrote.
    for html in settings.data_docs_dir.rglob("*.html"):
        text = html.read_text()
        assert 'href="#"' not in text and "<footer>" not in text and "Subscribe" not in text, html


def test_history_page_charts_values_with_thresholds(site):
    settings, _ = site
    listing = (settings.data_docs_dir / "trainguard" / "history.html").read_text()
    assert "href='history-trips_daily.html'>trips_daily</a>" in listing and "history-trips_model.html" in listing
    history = (settings.data_docs_dir / "trainguard" / "history-trips_daily.html").read_text()
    figure = re.search(r"<figure>(<svg.*?</svg>)<figcaption><b>column_mean_to_be_between \[distance_km\]</b>: "
                       r"12 runs \(2026-09-01 to 2026-09-12\), 1 failed", history)  # fmt: skip
    assert figure, "a chart of the daily mean of distance_km"
    chart = figure.group(1)
    assert chart.count("<circle") == 12 and chart.count("<circle class='fail'") == 1
    # Every point's value on hover, the failed one's written next to it.
    assert re.search(rf"<circle class='fail'[^>]*><title>{SKEWED}: (\d+\.\d+) \(FAILED\)</title>", chart)
    assert "<title>2026-09-01: " in chart
    assert re.findall(r"class='threshold'[^>]*><title>(.*?)</title>", chart) == ["min 4.7", "max 7.3"]
    y_ticks = [float(t) for t in re.findall(r"class='y-tick'[^>]*>([\d.,]+)</text>", chart)]
    assert len(y_ticks) >= 3 and y_ticks == sorted(y_ticks)
    x_ticks = re.findall(r"class='x-tick'[^>]*>([^<]+)</text>", chart)
    assert x_ticks[0] == "2026-09-01" and x_ticks[-1] == str(SKEWED) and len(x_ticks) >= 3
    model = (settings.data_docs_dir / "trainguard" / "history-trips_model.html").read_text()
    figure = re.search(r"<figure>(<svg.*?</svg>)<figcaption><b>model_metric_to_be_within_baseline \[mae\]</b>", model)
    chart = figure.group(1)
    # Keyed by the model's training day (its id on hover), with the baseline and its limit (1.9 * 1.1).
    assert re.findall(r"class='x-tick'[^>]*>([^<]+)</text>", chart) == ["2026-09-11"]
    assert re.search(r"<title>2026-09-11 \(model trips_duration-20260911-\w+\): \d\.\d+ \(passed\)</title>", chart)
    assert "<title>limit 2.09</title>" in chart and "<title>baseline 1.9</title>" in chart
    assert "worse than the production model of each check" in model


def _style(selector: str, prop: str) -> str:
    return f"getComputedStyle(document.querySelector({selector!r})).{prop}"


FIXED = "[...document.querySelectorAll('*')].filter(e => getComputedStyle(e).position === 'fixed').length"
# The element a person would click in the middle of the index's pagination: is it the pagination?
PAGINATION = (
    "(() => { const p = document.querySelector('.pagination');"
    " window.scrollTo(0, document.body.scrollHeight); const q = p.getBoundingClientRect();"
    " return p.contains(document.elementFromPoint(q.left + q.width / 2, q.top + q.height / 2)); })()"
)
FAILED_BOX = (
    "(() => { const r = document.getElementById('failed-expectations').getBoundingClientRect();"
    " return [Math.round(r.top), Math.round(r.bottom), window.innerHeight]; })()"
)


def test_index_and_a_failed_page_work_offline_in_chromium(site):
    from training.docs_site.serve import make_server

    if chromium() is None:
        skip_or_fail("chromium is not installed (apt install chromium)")
    settings, failed_page = site
    server = make_server(settings.data_docs_dir, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    browser = Browser()
    try:
        index = browser.visit(
            f"{base}/index.html",
            ARTIFACTS / "data_docs_index.png",
            evaluate={"fixed": FIXED, "pagination": PAGINATION},
            full_page=False,
        )
        relative = os.path.relpath(failed_page, settings.data_docs_dir)
        failed = browser.visit(
            f"{base}/{relative}#failed-expectations",
            ARTIFACTS / "data_docs_failed_validation.png",
            settle=0.5,
            evaluate={"box": FAILED_BOX, "fixed": FIXED, "title": "document.title"},
            full_page=False,
        )
        runs = browser.visit(
            f"{base}/trainguard/runs.html",
            ARTIFACTS / "data_docs_runs.png",
            settle=0.2,
            evaluate={"fail": _style("a.fail", "color"), "pass": _style("a.pass", "color")},
        )
        history = browser.visit(
            f"{base}/trainguard/history-trips_daily.html", ARTIFACTS / "data_docs_history.png", settle=0.2
        )
    finally:
        browser.close()
        server.shutdown()
        server.server_close()
    for visit in (index, failed, runs, history):
        outside = [u for u in visit.requests if not u.startswith(base) and not u.startswith("data:")]
        assert outside == [], f"{visit.url} requested {outside}"
    # The validation list is filled by the vendored scripts: 12 days and a model.
    assert "of 13 rows" in index.text and index.rows >= 10, index.text[:1000]
    assert "trips_daily" in index.text and "trips_model" in index.text and f"day {SKEWED}" in index.text
    # Nothing fixed covers the page: the pagination is what a click in its middle reaches.
    assert index.values == {"fixed": 0, "pagination": True}
    assert "distance_km" in failed.text and "Failed" in failed.text
    assert re.search(r"\b[5-9]\.\d+", failed.text), "the failed mean's observed value is shown"
    assert f"day {SKEWED} / pipeline trips_duration / FAILED" in failed.text
    top, bottom, height = failed.values["box"]
    assert 0 <= top < bottom <= height, "the page opens on its failed expectations"
    assert failed.values["fixed"] == 0 and failed.values["title"] == f"trips_daily day {SKEWED}: FAILED"
    # A failed run is red, linked or not; a passed one green.
    assert runs.values == {"fail": "rgb(198, 40, 40)", "pass": "rgb(23, 128, 61)"}
    assert "column_mean_to_be_between [distance_km]" in history.text
    for name in ("index", "failed_validation", "runs", "history"):
        assert (ARTIFACTS / f"data_docs_{name}.png").stat().st_size > 10_000, name


def test_prune_removes_old_results_and_keeps_the_index_consistent(site):
    from training.docs_site.prune import parse_age, prune_docs

    settings, _ = site
    store = settings.gx_root / "uncommitted" / "validations" / "trips_daily" / "__none__"
    pages = settings.data_docs_dir / "validations" / "trips_daily" / "__none__"
    oldest = sorted(p.name for p in store.iterdir())[0]
    aged = "20250101T000000.000000Z"
    shutil.move(store / oldest, store / aged)
    shutil.move(pages / oldest, pages / aged)
    before = len(list(store.rglob("*.json")))
    result = prune_docs(parse_age("90d"), settings)
    assert (result.results, result.pages, result.kept) == (1, 1, before - 1 + 1)  # + the model's result
    assert not (store / aged).exists() and not (pages / aged).exists()
    index = (settings.data_docs_dir / "index.html").read_text()
    assert aged not in index and oldest not in index
    assert re.findall(r"https?://", index) == []
    with pytest.raises(Exception, match="invalid age"):
        parse_age("ninety days")


def test_an_interrupted_build_leaves_the_previous_site(site, monkeypatch):
    import training.docs_site.build as docs
    from training.docs_site import site_dir

    settings, _ = site
    index = settings.data_docs_dir / "index.html"
    before = index.read_bytes()
    pages = sorted(p.relative_to(settings.data_docs_dir) for p in settings.data_docs_dir.rglob("*.html"))
    builds = sorted(site_dir.builds_dir(settings.data_docs_dir).iterdir())
    current = site_dir.current_build(settings.data_docs_dir)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # as if the process were stopped half-way

    monkeypatch.setattr(docs, "finish_site", interrupted)
    with pytest.raises(KeyboardInterrupt):
        docs.build_docs(settings)
    assert index.read_bytes() == before and site_dir.current_build(settings.data_docs_dir) == current
    assert sorted(p.relative_to(settings.data_docs_dir) for p in settings.data_docs_dir.rglob("*.html")) == pages
    assert sorted(site_dir.builds_dir(settings.data_docs_dir).iterdir()) == builds
    monkeypatch.undo()
    docs.build_docs(settings)
    names = {p.name for p in settings.data_docs_dir.parent.iterdir() if p.name.startswith(".local_site.")}
    assert names == {".local_site.builds", ".local_site.lock"} and index.is_file()
    newest = site_dir.current_build(settings.data_docs_dir)
    kept = {p.resolve() for p in site_dir.builds_dir(settings.data_docs_dir).iterdir()}
    assert newest != current and kept == {newest, current}  # the new build and the one it replaced
    assert re.findall(r"https?://", index.read_text()) == []
