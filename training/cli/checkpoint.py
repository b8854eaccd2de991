"""`trainguard checkpoint`: list, run and delete GX checkpoints."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from training.cli.options import EXIT_FAILED, EXIT_OK, add_command, json_flag, parse_date, print_json
from training.core.errors import InvalidProjectFileError, TrainguardError


def cmd_checkpoint_list(args: argparse.Namespace) -> int:
    from training.core.settings import get_settings
    from training.gx.catalog import checkpoint_info, checkpoint_names

    root = get_settings().gx_root
    infos = [checkpoint_info(root, name) for name in checkpoint_names(root)]
    if args.json:
        print_json([info.__dict__ for info in infos])
        return EXIT_OK
    for info in infos:
        print(f"{info.name:<24} suites={','.join(info.suites)}  table={info.table}  batch={info.batch_column}")
    if not infos:
        print(f"no checkpoints in {root / 'checkpoints'}")
    return EXIT_OK


def _check_batch_flag(args: argparse.Namespace) -> None:
    """A day for a model checkpoint, or a model for a data checkpoint, is a usage error caught
    before anything runs: run, it would validate an empty batch and record that failure. The
    checkpoint's batch table says which it is (see ``validates_models``)."""
    from training.core.settings import get_settings
    from training.gx.catalog import checkpoint_info, validates_models

    info = checkpoint_info(get_settings().gx_root, args.name)
    if validates_models(info) and args.model is None and (args.date or args.start or args.end):
        raise TrainguardError(
            f"checkpoint {args.name!r} validates a model: give --model MODEL_ID, not --date/--from/--to"
        )
    if not validates_models(info) and args.model is not None:
        raise TrainguardError(
            f"checkpoint {args.name!r} validates days of {info.table!r}: give --date YYYY-MM-DD "
            "(or --from/--to), not --model"
        )


def _batch_values(args: argparse.Namespace) -> tuple[list[str], bool]:
    if args.model is not None:
        if args.date or args.start or args.end:
            raise TrainguardError("--model cannot be combined with --date/--from/--to")
        return [args.model], False
    if args.date is not None:
        if args.start or args.end:
            raise TrainguardError("--date cannot be combined with --from/--to")
        return [args.date.isoformat()], True
    if args.start is None or args.end is None:
        raise TrainguardError("give --date D, or --from D1 --to D2, or --model ID")
    from training.warehouse.partitions import days_between

    return [d.isoformat() for d in days_between(args.start, args.end)], True


def cmd_checkpoint_run(args: argparse.Namespace) -> int:
    from training.core.folder_guard import unchanged_on_write_error
    from training.core.settings import get_settings
    from training.gx.progress import Progress
    from training.gx.results import collecting_site_problems, take_site_problem
    from training.gx.run import run_checkpoint
    from training.gx.summary import format_batch, format_docs_problem, format_table

    values, by_date = _batch_values(args)
    _check_batch_flag(args)
    progress = Progress(len(values)) if len(values) > 1 else None
    root = get_settings().gx_root

    def show(result: Any) -> None:
        if len(values) > 1:
            snapshot.take()  # a validated day of a backfill stands (its outcome is recorded)
        # A failed site update during this batch's validation is reported, never a verdict.
        result.docs_error = result.docs_error or take_site_problem()
        if progress is not None:
            progress(result)
        # A backfill prints the details of failed days only; the table at the end lists all.
        if not args.json and (progress is None or not result.success):
            print(format_batch(result), flush=True)  # rounded sentences; --json has the values

    try:
        # A read-only, unwritable or full GX folder is the environment, not a failed validation.
        guard = unchanged_on_write_error(root, f"in the GX folder {root}", also=(InvalidProjectFileError,))
        with guard as snapshot, collecting_site_problems():
            run = run_checkpoint(args.name, values, by_date=by_date, on_result=show)
            run.docs_error = run.docs_error or take_site_problem()  # the site update at the run's end
    finally:
        if progress is not None:
            progress.close()
    docs = format_docs_problem(run.docs_problem) if run.docs_problem else None
    if args.json:
        print_json(run.to_dict())
        if docs:
            print(docs, file=sys.stderr)
    else:
        if len(run.results) > 1:
            print(format_table(run))
        if docs:
            print(docs)
    return EXIT_OK if run.success else EXIT_FAILED


def cmd_checkpoint_delete(args: argparse.Namespace) -> int:
    from training.cli.removal import remove_all
    from training.core.settings import get_settings
    from training.gx.catalog import checkpoint_files

    root = get_settings().gx_root
    path, definitions, shared = checkpoint_files(root, args.name)
    remove_all([path, *definitions], f"checkpoint {args.name!r}")
    kept = f"; kept validation definition(s) {', '.join(shared)} (used by other checkpoints)" if shared else ""
    print(
        f"deleted checkpoint {args.name!r} and {len(definitions)} validation definition(s){kept}; "
        "its suites, stored results and recorded outcomes stay"
    )
    return EXIT_OK


def add_commands(groups: Any) -> None:
    """The `trainguard checkpoint` commands and their options."""
    checkpoint = groups.add_parser("checkpoint", help="list, run and delete GX checkpoints").add_subparsers(
        dest="command", required=True, metavar="SUBCOMMAND"
    )
    json_flag(add_command(checkpoint, "list", cmd_checkpoint_list, "list the project's checkpoints"))
    run = add_command(checkpoint, "run", cmd_checkpoint_run, "run a checkpoint for a day, a range of days or a model")
    run.add_argument("name", help="checkpoint name (see 'trainguard checkpoint list')")
    run.add_argument("--date", type=parse_date, help="the day to validate, YYYY-MM-DD")
    run.add_argument("--from", dest="start", type=parse_date, help="first day of a range (backfill)")
    run.add_argument("--to", dest="end", type=parse_date, help="last day of a range, inclusive")
    run.add_argument("--model", help="model id, for model checkpoints")
    json_flag(run)
    delete = add_command(
        checkpoint, "delete", cmd_checkpoint_delete, "delete a checkpoint and its validation definitions"
    )
    delete.add_argument("name", help="checkpoint name (see 'trainguard checkpoint list')")
