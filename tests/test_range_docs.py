"""A range run keeps the audit trail complete while building the Data Docs index only once."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
from great_expectations.render.renderer.site_builder import DefaultSiteIndexBuilder

from training.quality.docs import suite_page
from training.quality.run import run_checkpoint

pytestmark = pytest.mark.usefixtures("demo_warehouse")


@pytest.fixture
def index_builds(monkeypatch) -> list[bool]:
    built: list[bool] = []
    original = DefaultSiteIndexBuilder.build

    def build(self, skip_and_clean_missing=True, build_index: bool = True):
        built.append(build_index)
        return original(self, skip_and_clean_missing=skip_and_clean_missing, build_index=build_index)

    monkeypatch.setattr(DefaultSiteIndexBuilder, "build", build)
    return built


def _page(result) -> Path:
    return Path(result.docs_page.removeprefix("file://"))


def test_a_range_builds_the_index_once_and_lists_every_day_offline(settings, index_builds):
    days = ["2026-09-10", "2026-09-11", "2026-09-13"]
    run = run_checkpoint("trips_daily", days, settings=settings)

    assert [r.batch_value for r in run.results] == days
    assert index_builds.count(True) == 1
    index = (settings.data_docs_dir / "index.html").read_text()
    pages = [_page(r) for r in run.results]
    for page in [*pages, suite_page(settings.data_docs_dir, "trips_daily"), settings.data_docs_dir / "index.html"]:
        assert page.is_file(), page
        assert "https://" not in page.read_text(), f"{page} refers to the internet"
    for page in pages:
        assert page.relative_to(settings.data_docs_dir).as_posix() in index
    runs_page = (settings.data_docs_dir / "trainguard" / "runs.html").read_text()
    assert all(day in runs_page for day in days)


def test_one_day_still_builds_its_index(settings, index_builds):
    run = run_checkpoint("trips_daily", ["2026-09-08"], settings=settings)
    assert index_builds.count(True) == 1
    index = (settings.data_docs_dir / "index.html").read_text()
    assert _page(run.results[0]).relative_to(settings.data_docs_dir).as_posix() in index


def test_an_interrupted_range_still_lists_the_days_it_validated(settings, index_builds):
    class StopError(Exception):
        pass

    done = []

    def stop_after_first(result) -> None:
        done.append(result)
        raise StopError

    with pytest.raises(StopError):
        run_checkpoint("trips_daily", ["2026-09-05", "2026-09-06"], settings=settings, on_result=stop_after_first)
    assert len(done) == 1 and index_builds.count(True) == 1
    index = (settings.data_docs_dir / "index.html").read_text()
    assert _page(done[0]).relative_to(settings.data_docs_dir).as_posix() in index


def test_templates_are_compiled_once_per_process(settings, monkeypatch):
    run_checkpoint("trips_daily", ["2026-09-03"], settings=settings)
    compiled: list[str | None] = []
    original = jinja2.Environment.compile

    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):
        compiled.append(name)
        return original(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", compile)
    run = run_checkpoint("trips_daily", ["2026-09-04"], settings=settings)
    assert _page(run.results[0]).is_file()
    assert compiled == []
