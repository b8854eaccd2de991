"""Data Docs after each run: a range builds the index once, the index reads no old results, and
every page a run writes is offline."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
from great_expectations.render.renderer.site_builder import DefaultSiteIndexBuilder

from training.docs_site.paths import suite_page
from training.gx.run import run_checkpoint

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


COUNT_COMPILES = """
import jinja2
compiled = []
original = jinja2.Environment.compile
def compile(self, source, name=None, *args, **kwargs):
    if name is not None:  # a template file (altair compiles unnamed strings when imported)
        compiled.append(name)
    return original(self, source, name, *args, **kwargs)
jinja2.Environment.compile = compile
from training.gx.run import run_checkpoint
assert run_checkpoint("trips_daily", ["2026-09-02"]).results[0].docs_page
print(len(compiled))
"""


def test_a_new_process_reuses_the_compiled_templates(settings):
    """A CLI call or an Airflow task is a new process: it loads the templates compiled before."""
    from training.gx_speedups import template_cache

    # As in a first process: templates compiled by earlier tests (for other var folders) are
    # not in this process's memory, so this run compiles them and writes them to its folder.
    template_cache.SHARED._code.clear()
    run_checkpoint("trips_daily", ["2026-09-02"], settings=settings)
    assert list((settings.var_dir / "cache" / "jinja").iterdir())
    proc = subprocess.run([sys.executable, "-c", COUNT_COMPILES], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split()[-1] == "0"


def _index_links(site: Path) -> list[str]:
    text = (site / "index.html").read_text()
    return sorted(set(re.findall(r"validations/[^\"'?]+\.html", text)))


def test_the_index_reads_no_stored_result_twice_and_matches_gx(settings, monkeypatch):
    """Rebuilding the index answers from the kept entries (no validation result is loaded) and
    lists exactly what GX's own builder lists; a corrupted entries file only costs a full read."""
    from great_expectations.data_context import AbstractDataContext

    from training.extensions import open_context
    from training.gx_speedups import registry
    from training.gx_speedups.index_cache import FILE_NAME

    context = open_context(settings)
    entries = settings.gx_root / "uncommitted" / FILE_NAME
    run_checkpoint("trips_daily", ["2026-09-07"], settings=settings)
    assert entries.is_file()
    kept = json.loads(entries.read_text())
    stored = list((settings.gx_root / "uncommitted" / "validations").rglob("*.json"))
    assert len(kept) == len(stored)

    loads: list[object] = []
    original = AbstractDataContext.get_validation_result

    def counting(self, *args, **kwargs):
        loads.append(kwargs.get("run_id"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(AbstractDataContext, "get_validation_result", counting)
    site = settings.data_docs_dir
    builder = context._init_site_builder_for_data_docs_site_creation(
        site_name="local_site", site_config=context.variables.data_docs_sites["local_site"]
    )
    with registry.active():  # as in trainguard's runner and site build
        builder.site_index_builder.build()
    assert loads == []
    cached = _index_links(site)
    assert len(cached) == len(stored)

    entries.write_text("{not json")
    with registry.active():
        builder.site_index_builder.build()
    assert len(loads) == len(stored)
    assert _index_links(site) == cached
    assert len(json.loads(entries.read_text())) == len(stored)

    # GX's own builder (also what any code outside ``active()`` gets) lists the same validations.
    loads.clear()
    builder.site_index_builder.build()
    assert len(loads) == len(stored) and _index_links(site) == cached


def test_a_suite_page_is_rendered_again_only_when_the_suite_changed(settings, monkeypatch):
    from great_expectations.render.renderer import ExpectationSuitePageRenderer

    rendered: list[str] = []
    render = ExpectationSuitePageRenderer.render

    def counted(self, expectations, *args, **kwargs):
        rendered.append(expectations.name)
        return render(self, expectations, *args, **kwargs)

    monkeypatch.setattr(ExpectationSuitePageRenderer, "render", counted)
    page = suite_page(settings.data_docs_dir, "trips_daily")
    page.unlink(missing_ok=True)
    run_checkpoint("trips_daily", ["2026-09-08"], settings=settings)
    assert page.is_file() and rendered == ["trips_daily"]

    run_checkpoint("trips_daily", ["2026-09-09"], settings=settings)
    assert rendered == ["trips_daily"]  # the suite did not change

    stored = settings.gx_root / "expectations" / "trips_daily.json"
    original = stored.read_bytes()
    suite = json.loads(original)
    count = next(e for e in suite["expectations"] if e["type"] == "expect_table_row_count_to_be_between")
    count["kwargs"]["max_value"] = 24681357
    try:
        stored.write_text(json.dumps(suite, indent=2))
        run_checkpoint("trips_daily", ["2026-09-10"], settings=settings)
        assert rendered == ["trips_daily"] * 2
        assert "24681357" in page.read_text().replace(",", "")
    finally:
        stored.write_bytes(original)
    run_checkpoint("trips_daily", ["2026-09-10"], settings=settings)
    assert rendered == ["trips_daily"] * 3 and "24681357" not in page.read_text().replace(",", "")
    run_checkpoint("trips_daily", ["2026-09-11"], settings=settings)
    assert rendered == ["trips_daily"] * 3


def test_a_suite_page_is_rendered_again_when_a_renderer_changes(settings, monkeypatch, tmp_path):
    """The fingerprint covers the renderers' source (not the package version, which an editable
    install never changes); unchanged renderers reuse the page."""
    from great_expectations.render.renderer import ExpectationSuitePageRenderer

    from training.gx_speedups import suite_pages

    rendered: list[str] = []
    render = ExpectationSuitePageRenderer.render

    def counted(self, expectations, *args, **kwargs):
        rendered.append(expectations.name)
        return render(self, expectations, *args, **kwargs)

    monkeypatch.setattr(ExpectationSuitePageRenderer, "render", counted)
    renderer = tmp_path / "renderer.py"
    renderer.write_text("TEMPLATE = 'v1'\n")
    monkeypatch.setattr(suite_pages, "RENDERER_INPUTS", (*suite_pages.RENDERER_INPUTS, str(renderer)))
    suite_pages.renderer_fingerprint.cache_clear()
    try:
        first = suite_pages.renderer_fingerprint()
        run_checkpoint("trips_daily", ["2026-09-05"], settings=settings)
        assert rendered == ["trips_daily"]  # a renderer input was added
        run_checkpoint("trips_daily", ["2026-09-06"], settings=settings)
        assert rendered == ["trips_daily"]  # unchanged inputs: the page is reused

        renderer.write_text("TEMPLATE = 'v2'\n")
        assert suite_pages.renderer_fingerprint() == first  # computed once per process
        suite_pages.renderer_fingerprint.cache_clear()  # as in the next process
        assert suite_pages.renderer_fingerprint() != first
        run_checkpoint("trips_daily", ["2026-09-07"], settings=settings)
        assert rendered == ["trips_daily"] * 2
    finally:
        monkeypatch.undo()
        suite_pages.renderer_fingerprint.cache_clear()


def test_the_renderer_fingerprint_reads_sources_not_the_installed_version(monkeypatch):
    import importlib.metadata

    from training.gx_speedups import suite_pages

    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    suite_pages.renderer_fingerprint.cache_clear()
    try:
        assert len(suite_pages.renderer_fingerprint()) == 64
    finally:
        suite_pages.renderer_fingerprint.cache_clear()
    package = Path(suite_pages.__file__).resolve().parent.parent
    assert all((package / entry).exists() for entry in suite_pages.RENDERER_INPUTS)
    assert (package / "checks" / "rendering.py").is_file()
