"""The site path is a symlink replaced in one step: overlapping `trainguard docs build`s (real
processes) all succeed, a reader never finds the index missing, a running server follows the
newest build; a site from before (a real folder) is taken over without a gap."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import make_project

DAY = "2026-09-02"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project with one validated day and a built site."""
    from training.demo.seed import seed_demo
    from training.docs_site.build import build_docs
    from training.gx.run import run_checkpoint
    from training.warehouse.engine import get_engine

    settings, env = make_project(tmp_path_factory.mktemp("swap"))
    seed_demo(get_engine(settings.warehouse_url), dt.date(2026, 9, 1), dt.date(2026, 9, 3))
    run = run_checkpoint("trips_daily", [DAY], settings=settings)
    assert run.success and run.results[0].docs_page
    build_docs(settings)
    return settings, env, run.results[0].docs_page.removeprefix("file://")


def _build(env: dict[str, str]) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("trainguard")
    return subprocess.Popen(
        [str(exe), "docs", "build"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def _has_open(proc: subprocess.Popen, path: Path) -> bool:
    """Whether ``proc`` has ``path`` open (a build waiting for the site's lock has)."""
    try:
        fds = os.listdir(f"/proc/{proc.pid}/fd")
    except OSError:
        return False
    found = []
    for fd in fds:
        with contextlib.suppress(OSError):
            found.append(os.readlink(f"/proc/{proc.pid}/fd/{fd}"))
    return os.path.realpath(path) in found


def _assert_complete(settings, page: str) -> None:
    from training.docs_site import site_dir
    from training.docs_site.paths import suite_page

    site = settings.data_docs_dir
    assert site.is_symlink() and site.is_dir()
    index = (site / "index.html").read_text()
    assert os.path.relpath(page, site) in index and "https://" not in index
    for part in (Path(page), suite_page(site, "trips_daily"), site / "trainguard" / "runs.html"):
        assert part.is_file(), part
    assert (site / "static" / "vendor" / "jquery" / "jquery-3.7.1.min.js").is_file()
    builds = sorted(p.name for p in site_dir.builds_dir(site).iterdir())
    assert 1 <= len(builds) <= 2, builds  # the current build and the one it replaced
    extra = {p.name for p in site.parent.iterdir()} - {site.name, ".local_site.builds", ".local_site.lock"}
    assert extra == set()


def test_overlapping_builds_both_succeed_and_the_site_is_never_missing(project):
    from training.docs_site import site_dir
    from training.docs_site.serve import make_server

    settings, env, page = project
    site = settings.data_docs_dir
    server = make_server(site, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    first = site_dir.current_build(site)
    try:
        with _reading(site / "index.html") as problems:
            # The lock is held here until both builds wait for it, so they surely overlap.
            with site_dir.locked(site, exclusive=True):
                procs = [_build(env) for _ in range(2)]
                deadline = time.monotonic() + 90
                while not all(_has_open(p, site_dir.lock_path(site)) for p in procs):
                    assert time.monotonic() < deadline and all(p.poll() is None for p in procs)
                    time.sleep(0.05)
            outs = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in outs]
        assert all(f"Data Docs built: {site / 'index.html'}" in out for out, _ in outs)
        assert problems == []
        _assert_complete(settings, page)
        # The server started before both builds serves the newest; the first build is gone.
        assert site_dir.current_build(site) != first and not first.exists()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        with urllib.request.urlopen(f"{base}/{os.path.relpath(page, site)}") as response:
            assert response.status == 200
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def _reading(path: Path) -> Iterator[list[str]]:
    """Read ``path`` in a loop while the block runs; yields the failed reads."""
    problems: list[str] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                with open(path, "rb") as handle:
                    handle.read(64)
            except OSError as exc:
                problems.append(repr(exc))
            time.sleep(0.001)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield problems
    finally:
        stop.set()
        reader.join()


# Many overlapping swaps with real processes, cheaply (no GX): builders publish small builds
# through the same lock and swap as `docs build`, writers add pages as a validation does.
SWAPPER = r"""
import sys, time
from pathlib import Path
from training.docs_site import site_dir

site, role, name, rounds = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
for i in range(rounds):
    if role == "build":
        with site_dir.locked(site, exclusive=True):
            build = site_dir.new_build(site)
            (build / "validations").mkdir()
            (build / "index.html").write_text(f"{name} {i}")
            site_dir.publish(site, build)
    else:
        with site_dir.locked(site, exclusive=False):
            page = site / "validations" / f"{name}-{i}.html"
            page.write_text(name)
            time.sleep(0.005)
            assert page.read_text() == name, page
"""


def test_many_overlapping_swaps_by_several_processes_never_lose_the_site(tmp_path):
    from training.docs_site import site_dir

    site = tmp_path / "data_docs" / "local_site"
    with site_dir.locked(site, exclusive=True):
        build = site_dir.new_build(site)
        (build / "validations").mkdir()
        (build / "index.html").write_text("first")
        site_dir.publish(site, build)
    roles = [("build", "b1"), ("build", "b2"), ("build", "b3"), ("write", "w1"), ("write", "w2")]
    with _reading(site / "index.html") as problems:
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", SWAPPER, str(site), role, name, "12"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for role, name in roles
        ]
        outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * len(roles), [err[-1500:] for _, err in outs]
    assert problems == []
    assert site.is_symlink() and (site / "index.html").read_text().endswith(" 11")
    assert len(list(site_dir.builds_dir(site).iterdir())) == 2
    assert [p.name for p in site.parent.iterdir() if ".link-" in p.name] == []


def test_a_site_folder_from_before_is_replaced_without_a_gap(tmp_path):
    from training.docs_site import site_dir

    site = tmp_path / "data_docs" / "local_site"
    (site / "validations").mkdir(parents=True)
    (site / "index.html").write_text("old")
    with site_dir.locked(site, exclusive=True):
        build = site_dir.new_build(site)
        (build / "index.html").write_text("new")
        site_dir.publish(site, build)
    assert site.is_symlink() and not os.path.isabs(os.readlink(site))
    assert (site / "index.html").read_text() == "new"
    kept = [p for p in site_dir.builds_dir(site).iterdir() if p != build]
    assert len(kept) == 1 and (kept[0] / "index.html").read_text() == "old"  # until the next build
    assert oct(build.stat().st_mode & 0o777) == "0o755"
    with site_dir.locked(site, exclusive=True):
        newer = site_dir.new_build(site)
        site_dir.publish(site, newer)
    assert sorted(site_dir.builds_dir(site).iterdir()) == sorted([build, newer])


def test_a_project_without_a_site_gets_a_symlinked_one_when_a_validation_writes(tmp_path):
    from training.docs_site import site_dir

    site = tmp_path / "data_docs" / "local_site"
    with site_dir.locked(site, exclusive=False):
        site_dir.ensure_site(site)
        site_dir.ensure_site(site)  # a second validation finds it
    assert site.is_symlink() and site.is_dir() and len(list(site_dir.builds_dir(site).iterdir())) == 1
    shutil.rmtree(site_dir.current_build(site))  # its build deleted by hand: a new empty one
    with site_dir.locked(site, exclusive=False):
        site_dir.ensure_site(site)
    assert site.is_dir() and len(list(site_dir.builds_dir(site).iterdir())) == 1


def test_a_build_waits_for_the_lock_and_gives_up_with_a_clear_error(tmp_path):
    from training.docs_site import site_dir

    site = tmp_path / "local_site"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time; f = open(sys.argv[1], 'w'); fcntl.flock(f, fcntl.LOCK_EX); "
            "print('held', flush=True); time.sleep(30)",
            str(site_dir.lock_path(site)),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(TimeoutError, match="locked by another process"):
            with site_dir.locked(site, exclusive=False, timeout=0.3):
                pass
    finally:
        holder.kill()
        holder.wait()
    with site_dir.locked(site, exclusive=True, timeout=5), site_dir.locked(site, exclusive=True):
        pass  # free again; re-entrant within a thread
