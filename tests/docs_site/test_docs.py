"""Data Docs: built after validations, and served from the site folder only."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request

import pytest

from tests.conftest import run_cli
from training.core.errors import TrainguardError
from training.docs_site.serve import make_server

pytestmark = pytest.mark.usefixtures("demo_warehouse")


@pytest.fixture(scope="module")
def site(settings):
    proc = run_cli("docs", "build")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert str(settings.data_docs_dir / "index.html") in proc.stdout
    return settings.data_docs_dir


@pytest.fixture(scope="module")
def base_url(site):
    server = make_server(site, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_index_lists_each_validation_run(site):
    index = (site / "index.html").read_text()
    assert "trips_daily" in index
    pages = list((site / "validations" / "trips_daily").rglob("*.html"))
    assert len(pages) >= 9  # one page per validated reference day at least


def test_server_serves_the_site(base_url):
    assert _status(f"{base_url}/index.html") == 200


@pytest.mark.parametrize(
    "path",
    [
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/%252e%252e/%252e%252e/etc/passwd",
        "/..%2f..%2fetc%2fpasswd",
        "/..\\..\\etc\\passwd",
        "//etc/passwd",
        "/validations/",
        "/nope.html",
    ],
)
def test_server_refuses_traversal_listing_and_unknown_paths(base_url, path):
    assert _status(base_url + path) in (400, 404)


def test_a_symlink_out_of_the_site_is_not_followed(site, base_url, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("do not serve")
    link = site / "escape.txt"
    link.symlink_to(secret)
    try:
        assert _status(f"{base_url}/escape.txt") == 404
    finally:
        link.unlink()


def test_serving_a_missing_site_is_a_clear_error(tmp_path):
    with pytest.raises(TrainguardError, match="run 'trainguard docs build' first"):
        make_server(tmp_path, "127.0.0.1", 0)


def test_docs_serve_command_binds_loopback_and_prints_the_url(site):
    import os
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).with_name("trainguard")
    proc = subprocess.Popen(
        [str(exe), "docs", "serve", "--port", "0"], stdout=subprocess.PIPE, text=True, env=os.environ
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("Serving Data Docs at http://127.0.0.1:")
        url = line.split(" at ")[1].split()[0]
        assert _status(url) == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
