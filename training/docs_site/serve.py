"""A small read-only HTTP server for the Data Docs folder, bound to loopback by default."""

from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from training.core.errors import TrainguardError


class SiteHandler(SimpleHTTPRequestHandler):
    """Serves files below the site folder only; never lists directories.

    The site path is a symlink that ``trainguard docs build`` replaces with each build: every
    request resolves it anew (a running server serves the newest build) and is answered from
    that one build.
    """

    def translate_path(self, path: str) -> str:
        site = self.directory
        root = Path(site).resolve()
        self.directory = str(root)
        try:
            translated = Path(super().translate_path(path))
        finally:
            self.directory = site
        # The stock handler drops ".." segments but follows symlinks: a link inside the site
        # must not expose a file outside it.
        resolved = translated.resolve()
        if resolved != root and root not in resolved.parents:
            return str(root / "__outside_the_site__")
        return str(translated)

    def send_head(self):
        # A path the file system cannot take (an encoded NUL byte, a lone surrogate) makes
        # os.stat raise ValueError: the stock handler then drops the connection with a
        # traceback. It is the client's bad request; nothing has been sent yet.
        try:
            return super().send_head()
        except ValueError:
            self.send_error(400, "Bad request path")
            return None

    def list_directory(self, path):
        self.send_error(404, "Not found")
        return None

    def log_message(self, format: str, *args) -> None:
        pass


def make_server(site: Path, host: str, port: int) -> ThreadingHTTPServer:
    """A server for ``site`` (not started); port 0 picks a free port."""
    if not (site / "index.html").is_file():
        raise TrainguardError(f"no Data Docs site at {site}: run 'trainguard docs build' first")
    handler = functools.partial(SiteHandler, directory=str(site.absolute()))
    try:
        return ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise TrainguardError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
