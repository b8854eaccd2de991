"""`trainguard suite`: scaffold, list and delete expectation suites."""

from __future__ import annotations

import argparse
from typing import Any

from training.cli.options import EXIT_OK, add_command, json_flag, print_json


def _names(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _severity(text: str) -> tuple[str, str]:
    from training.core.errors import TrainguardError

    selector, _, level = text.rpartition("=")
    if not selector or not level:
        raise TrainguardError(
            f"invalid --severity {text!r}: expected SELECTOR=LEVEL, e.g. expect_column_psi_to_be_less_than=critical"
        )
    return selector.strip(), level.strip().lower()


def cmd_suite_scaffold(args: argparse.Namespace) -> int:
    from training.core.folder_guard import unchanged_on_write_error
    from training.core.settings import get_settings
    from training.scaffold.build import ScaffoldOptions
    from training.scaffold.register import parse_reference, scaffold_suite

    options = ScaffoldOptions(
        strictness=args.strictness,
        target=args.target,
        max_categories=args.max_categories,
        bins=args.bins,
        drift_methods=tuple(_names(args.drift)),
        severities=tuple(_severity(s) for s in args.severity),
    )
    root = get_settings().gx_root
    # Suite, definition, checkpoint and backup are several files: a folder that refuses one of
    # them must not keep the others (nor a half-written or already deleted suite).
    with unchanged_on_write_error(root, f"suite {root / 'expectations' / (args.name + '.json')}"):
        result = scaffold_suite(
            args.name,
            args.table,
            args.date_column,
            parse_reference(args.reference),
            columns=_names(args.columns) or None,
            exclude=_names(args.exclude),
            options=options,
            force=args.force,
        )
    if result.backup:
        print(f"previous suite saved as {result.backup}")
    print(f"wrote suite and checkpoint {result.name!r}: {result.expectations} expectations ({result.suite_path})")
    for type_, count in sorted(result.by_type.items()):
        print(f"  {count:>4}  {type_}")
    print(f"review it, then: trainguard checkpoint run {result.name} --date YYYY-MM-DD")
    return EXIT_OK


def cmd_suite_list(args: argparse.Namespace) -> int:
    from training.core.settings import get_settings
    from training.gx.catalog import suite_info, suite_names

    root = get_settings().gx_root
    infos = [suite_info(root, name) for name in suite_names(root)]
    if args.json:
        print_json([info.__dict__ for info in infos])
        return EXIT_OK
    for info in infos:
        tables = ",".join(info.tables) or "-"
        checkpoints = ",".join(info.checkpoints) or "-"
        print(f"{info.name:<24} expectations={info.expectations:<4} table={tables}  checkpoints={checkpoints}")
    if not infos:
        print(f"no suites in {root / 'expectations'}")
    return EXIT_OK


def cmd_suite_delete(args: argparse.Namespace) -> int:
    import contextlib

    from training.cli.removal import remove_all
    from training.core.errors import TrainguardError
    from training.core.settings import get_settings
    from training.docs_site import site_dir
    from training.docs_site.paths import suite_page
    from training.gx.catalog import suite_info

    settings = get_settings()
    root = settings.gx_root
    info = suite_info(root, args.name)  # an unknown suite is refused here
    if info.checkpoints and not args.force:
        raise TrainguardError(
            f"suite {args.name!r} is used by checkpoint(s) {', '.join(info.checkpoints)}: delete them first "
            "(trainguard checkpoint delete NAME), or give --force"
        )
    files = [root / "expectations" / f"{args.name}.json"]
    site = settings.data_docs_dir
    page = suite_page(site, args.name)
    # The page is in the published build: hold the site's lock as the updates after a validation
    # do, so a build swapping the site is not under way (no lock file is made for no site).
    pages = [page] if page.is_file() else []
    try:
        with site_dir.locked(site, exclusive=False) if pages else contextlib.nullcontext():
            remove_all([*files, *pages], f"suite {args.name!r}")
    except TimeoutError as exc:
        raise TrainguardError(f"suite {args.name!r} not deleted: {exc.strerror}") from None
    also = " and its Data Docs page" if pages else ""
    print(f"deleted suite {args.name!r} ({info.expectations} expectations){also}")
    if info.checkpoints:
        print(f"checkpoint(s) {', '.join(info.checkpoints)} now name a missing suite and cannot run")
    return EXIT_OK


def add_commands(groups: Any) -> None:
    """The `trainguard suite` commands and their options."""
    suite = groups.add_parser("suite", help="scaffold, list and delete expectation suites").add_subparsers(
        dest="command", required=True, metavar="SUBCOMMAND"
    )
    scaffold = add_command(
        suite,
        "scaffold",
        cmd_suite_scaffold,
        "profile a reference window of a table and write a reviewable suite and checkpoint",
    )
    scaffold.add_argument("--table", required=True, help="warehouse table, partitioned by day")
    scaffold.add_argument("--date-column", required=True, help="column holding the day as YYYY-MM-DD")
    scaffold.add_argument("--reference", required=True, metavar="START:END", help="clean days to learn from, inclusive")
    scaffold.add_argument("--name", required=True, help="name of the suite and checkpoint to write")
    scaffold.add_argument("--columns", help="comma-separated columns to check (default: all)")
    scaffold.add_argument("--exclude", help="comma-separated columns to leave out")
    scaffold.add_argument("--target", help="the label column: it must never be null")
    scaffold.add_argument(
        "--strictness",
        choices=["loose", "normal", "strict"],
        default="normal",
        help="how wide the bands are: 6, 4.5 or 3 daily standard deviations (default normal)",
    )
    scaffold.add_argument(
        "--max-categories",
        type=int,
        default=50,
        help="text columns with more distinct values get no value set (default 50)",
    )
    scaffold.add_argument("--bins", type=int, default=10, help="reference bins for numeric drift (default 10)")
    scaffold.add_argument("--drift", default="psi,js_distance", help="drift scores to add (default psi,js_distance)")
    scaffold.add_argument(
        "--severity",
        action="append",
        default=[],
        metavar="SELECTOR=LEVEL",
        help="set the severity (critical, warning, info) of every expectation of a type or on a column, "
        "e.g. expect_column_psi_to_be_less_than=critical or fare=warning; repeatable. Only critical "
        "failures block a day",
    )
    scaffold.add_argument("--force", action="store_true", help="replace an existing suite (a backup is kept)")
    json_flag(add_command(suite, "list", cmd_suite_list, "list the suites: expectations, tables, checkpoints"))
    delete = add_command(suite, "delete", cmd_suite_delete, "delete a suite and its Data Docs page")
    delete.add_argument("name", help="suite name (see 'trainguard suite list')")
    delete.add_argument("--force", action="store_true", help="delete it even though checkpoints use it")
