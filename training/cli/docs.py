"""`trainguard docs`: build, prune and serve the Data Docs site."""

from __future__ import annotations

import argparse
from typing import Any

from training.cli.options import EXIT_OK, add_command


def _check_warehouse() -> None:
    """The site's own pages read the warehouse: a missing one is refused before the build (or a
    prune's deletions) starts, not halfway."""
    from training.core.settings import get_settings
    from training.warehouse.engine import check_warehouse_file

    check_warehouse_file(get_settings().warehouse_url)


def cmd_docs_build(args: argparse.Namespace) -> int:
    from training.docs_site.build import build_docs

    _check_warehouse()
    index = build_docs()
    print(f"Data Docs built: {index}")
    if args.open:
        import webbrowser

        url = index.absolute().as_uri()  # the site's path, not the build it names now
        # The site is built either way: a missing browser is a note, not a failed command.
        if not webbrowser.open(url):
            print(f"no browser could be started; open {url}")
    return EXIT_OK


AGE_FORM = "a positive number with h, d or w and no space, e.g. 90d, 12w or 36h"


def _age(text: str) -> str:
    """``--older-than``: checked while parsing, so the error names ``docs prune`` and the form."""
    from training.core.errors import TrainguardError
    from training.docs_site.prune import parse_age

    try:
        parse_age(text)
    except TrainguardError:
        raise argparse.ArgumentTypeError(f"invalid age {text!r}: expected {AGE_FORM}") from None
    return text


def cmd_docs_prune(args: argparse.Namespace) -> int:
    from training.docs_site.prune import parse_age, prune_docs

    _check_warehouse()
    result = prune_docs(parse_age(args.older_than))
    print(
        f"removed {result.results} validation result(s) and {result.pages} page(s) older than {args.older_than}; "
        f"{result.kept} kept; index rebuilt"
    )
    return EXIT_OK


def cmd_docs_serve(args: argparse.Namespace) -> int:
    from training.core.settings import get_settings
    from training.docs_site.serve import make_server

    settings = get_settings()
    port = settings.docs_port if args.port is None else args.port
    server = make_server(settings.data_docs_dir, args.host or settings.docs_host, port)
    host, port = server.server_address[:2]
    print(f"Serving Data Docs at http://{host}:{port}/index.html (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return EXIT_OK


def add_commands(groups: Any) -> None:
    """The `trainguard docs` commands and their options."""
    docs = groups.add_parser("docs", help="build and serve the Data Docs site").add_subparsers(
        dest="command", required=True, metavar="SUBCOMMAND"
    )
    build = add_command(docs, "build", cmd_docs_build, "rebuild the Data Docs site")
    build.add_argument("--open", action="store_true", help="then open its index in a web browser ($BROWSER)")
    prune = add_command(
        docs, "prune", cmd_docs_prune, "delete validation results and pages older than an age, keep the index"
    )
    prune.add_argument("--older-than", required=True, type=_age, metavar="AGE", help="e.g. 90d, 12w or 36h")
    serve = add_command(docs, "serve", cmd_docs_serve, "serve the Data Docs site over HTTP (loopback by default)")
    serve.add_argument("--host", help="address to bind (default from TRAINGUARD_DOCS_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default from TRAINGUARD_DOCS_PORT, 8765; 0 picks a free one)")
