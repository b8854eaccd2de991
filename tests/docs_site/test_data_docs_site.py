"""The Data Docs site as an audit trail: offline (no request leaves the site, checked in a real
headless Chromium), data and model validations side by side, history charts, retention."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import threading

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
    link = re.search(r"href='([^']+)'>trips_daily: FAILED", runs).group(1)
    assert str((settings.data_docs_dir / "trainguard" / link).resolve()) == os.path.realpath(failed_page)
    index = (settings.data_docs_dir / "index.html").read_text()
    assert "trainguard/runs.html" in index and "trainguard/history.html" in index


def test_history_page_charts_values_with_thresholds(site):
    settings, _ = site
    listing = (settings.data_docs_dir / "trainguard" / "history.html").read_text()
    assert "href='history-trips_daily.html'>trips_daily</a>" in listing and "history-trips_model.html" in listing
    history = (settings.data_docs_dir / "trainguard" / "history-trips_daily.html").read_text()
    figure = re.search(
        r"<figure>(<svg.*?</svg>)<figcaption>column_mean_to_be_between \[distance_km\]: 12 runs, 1 failed", history
    )
    assert figure, "a chart of the daily mean of distance_km"
    chart = figure.group(1)
    assert chart.count("<circle") == 12 and chart.count("r='3' fill='#c62828'") == 1
    assert chart.count("stroke-dasharray") == 2  # min_value and max_value
    model = (settings.data_docs_dir / "trainguard" / "history-trips_model.html").read_text()
    assert "model_metric_to_be_within_baseline [mae]" in model


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
        index = browser.visit(f"{base}/index.html", ARTIFACTS / "data_docs_index.png")
        relative = os.path.relpath(failed_page, settings.data_docs_dir)
        failed = browser.visit(f"{base}/{relative}", ARTIFACTS / "data_docs_failed_validation.png")
        runs = browser.visit(f"{base}/trainguard/runs.html")
    finally:
        browser.close()
        server.shutdown()
        server.server_close()
    for visit in (index, failed, runs):
        outside = [u for u in visit.requests if not u.startswith(base) and not u.startswith("data:")]
        assert outside == [], f"{visit.url} requested {outside}"
    # The validation list is filled by the vendored scripts: 12 days and a model.
    assert "of 13 rows" in index.text and index.rows >= 10, index.text[:1000]
    assert "trips_daily" in index.text and "trips_model" in index.text
    assert "distance_km" in failed.text and "Failed" in failed.text
    assert re.search(r"\b[5-9]\.\d+", failed.text), "the failed mean's observed value is shown"
    assert (ARTIFACTS / "data_docs_index.png").stat().st_size > 10_000


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
