"""`trainguard validation`: list and delete recorded validations (the audit trail)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from training.cli.options import EXIT_OK, add_command, json_flag, parse_date, print_json
from training.cli.removal import NothingDeletedError, set_aside
from training.core.errors import NotFoundError, TrainguardError

if TYPE_CHECKING:
    import sqlalchemy as sa

    from training.core.settings import Settings
    from training.gx.record.audit import RecordedValidation, RemovedRecords

LIST_HINT = "see 'trainguard validation list'"


def _line(record: RecordedValidation) -> str:
    what = f"model {record.batch_value}" if record.is_model else record.batch_value
    run = record.run_time.strftime("%Y-%m-%d %H:%M:%S UTC")
    counts = f"{record.evaluated} evaluated, {record.failed} failed"
    return f"{record.id:>6}  {record.checkpoint:<20} {what:<40} {run}  {record.verdict:<20} {counts}"


def _header() -> str:
    return f"{'ID':>6}  {'CHECKPOINT':<20} {'DAY OR MODEL':<40} {'RECORDED':<23}  {'VERDICT':<20} EXPECTATIONS"


def cmd_validation_list(args: argparse.Namespace) -> int:
    from training.core.settings import get_settings
    from training.gx.catalog import checkpoint_info, checkpoint_names
    from training.gx.record.audit import recorded_validations
    from training.warehouse.engine import get_engine

    settings = get_settings()
    records = recorded_validations(get_engine(settings.warehouse_url), checkpoint=args.checkpoint)
    if not records and args.checkpoint is not None and args.checkpoint not in checkpoint_names(settings.gx_root):
        # A name neither recorded nor a checkpoint is a typo: one line naming the known ones (the
        # records of a deleted checkpoint still list).
        checkpoint_info(settings.gx_root, args.checkpoint)
    if args.json:
        print_json([record.to_dict() for record in records])
        return EXIT_OK
    if not records:
        print("no recorded validations" + (f" of checkpoint {args.checkpoint!r}" if args.checkpoint else ""))
        return EXIT_OK
    print(_header())
    for record in records:
        print(_line(record))
    return EXIT_OK


def _selected(engine: sa.Engine, args: argparse.Namespace) -> list[RecordedValidation]:
    """The records ``args`` name: result ids, or every recording of a checkpoint's day or model."""
    from training.gx.record.audit import recorded_validations

    value = args.date.isoformat() if args.date else args.model
    if args.ids and (args.checkpoint or value):
        raise TrainguardError("give result ids or --checkpoint with --date/--model, not both")
    if args.ids:
        records = recorded_validations(engine, ids=list(dict.fromkeys(args.ids)))
        missing = sorted(set(args.ids) - {r.id for r in records})
        if missing:
            listed = ", ".join(map(str, missing))
            raise NotFoundError(f"no recorded validation with id {listed} ({LIST_HINT}); nothing was deleted")
        return records
    if not args.checkpoint or not value or (args.date and args.model):
        raise TrainguardError(
            f"give result ids ({LIST_HINT}), or --checkpoint NAME with one of --date YYYY-MM-DD or --model MODEL_ID"
        )
    records = recorded_validations(engine, checkpoint=args.checkpoint, batch_value=value)
    if not records:
        raise NotFoundError(
            f"no recorded validation of checkpoint {args.checkpoint!r} for {value} ({LIST_HINT}); nothing was deleted"
        )
    return records


def _confirmed(records: Sequence[RecordedValidation], yes: bool) -> None:
    """Ask before deleting, on a terminal; elsewhere (a script, cron) only ``--yes`` deletes."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise TrainguardError("give --yes to delete without a prompt (stdin is not a terminal); nothing was deleted")
    print(_header())
    for record in records:
        print(_line(record))
    try:
        answer = input(f"delete these {len(records)} recorded validation(s), their results and pages? [y/N] ")
    except EOFError:
        answer = ""
    if answer.strip().lower() not in {"y", "yes"}:
        raise TrainguardError("not confirmed; nothing was deleted")


def _drop_empty_folders(folder: Path) -> None:
    """A result's run-time and run-name folders are left empty by its deletion: remove them."""
    for _ in range(2):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


@contextlib.contextmanager
def _caches_kept(folder: Path) -> Iterator[None]:
    """The files at the top of ``uncommitted/`` (the site build's caches) as they were, if the
    block fails: a failed build may have rewritten them."""
    before = {path: path.read_bytes() for path in folder.glob("*") if path.is_file()}
    try:
        yield
    except BaseException:
        for path in folder.glob("*"):
            with contextlib.suppress(OSError):
                if path not in before and path.is_file():
                    path.unlink()
                elif path in before and path.read_bytes() != before[path]:
                    path.write_bytes(before[path])
        raise


def _files(settings: Settings, engine: sa.Engine, records: Sequence[RecordedValidation]) -> list[Path]:
    from training.gx.record.audit import previous_run_time, stored_files

    files: list[Path] = []
    for record in records:
        since = None if record.docs_page else previous_run_time(engine, record)
        files += stored_files(settings.gx_root, settings.data_docs_dir, record, since)
    return list(dict.fromkeys(files))


def delete_validations(
    settings: Settings, engine: sa.Engine, records: Sequence[RecordedValidation]
) -> tuple[RemovedRecords, list[Path], bool]:
    """Delete ``records`` everywhere, or nowhere: their rows and observed values in the warehouse,
    their stored results and pages; then rebuild the site (index, runs, history) without them.

    Under the site's exclusive lock, as ``docs prune``: a build meanwhile would list the results
    being deleted. The rows go in one transaction before the rebuild, which reads them; if the
    rebuild fails they are inserted again and the files renamed back (the failed build removes
    its own folder), so the delete changed nothing. Returns (rows removed, files deleted,
    whether the site was rebuilt; a project without a site gets none)."""
    from training.docs_site import site_dir
    from training.docs_site.build import build_docs
    from training.gx.record.audit import delete_records, restore_records

    site = settings.data_docs_dir
    rebuild = os.path.lexists(site)
    what = f"{len(records)} recorded validation(s)"
    with site_dir.locked(site, exclusive=True) if rebuild else contextlib.nullcontext():
        files = _files(settings, engine, records)  # under the lock: a build may swap the pages' folder
        with _caches_kept(settings.gx_root / "uncommitted"), set_aside(files, what):
            removed = delete_records(engine, records)
            try:
                if rebuild:
                    build_docs(settings)
            except BaseException as exc:
                _put_back(engine, removed, exc, restore_records)
                raise
        for path in files:
            _drop_empty_folders(path.parent)
    return removed, files, rebuild


def _put_back(engine: sa.Engine, removed: RemovedRecords, failure: BaseException, restore: Any) -> None:
    try:
        restore(engine, removed)
    except Exception as again:
        raise NothingDeletedError(
            f"the site could not be rebuilt ({type(failure).__name__}: {failure}) and the deleted records could "
            f"not be put back ({type(again).__name__}: {again}); their results and pages were kept"
        ) from failure


def cmd_validation_delete(args: argparse.Namespace) -> int:
    from training.core.settings import get_settings
    from training.warehouse.engine import get_engine

    settings = get_settings()
    engine = get_engine(settings.warehouse_url)
    records = _selected(engine, args)
    _confirmed(records, args.yes)
    try:
        removed, files, rebuilt = delete_validations(settings, engine, records)
    except NothingDeletedError:
        raise
    except TimeoutError as exc:
        raise TrainguardError(f"validations not deleted: {exc.strerror}; nothing was deleted") from None
    except Exception as exc:
        converted = _not_deleted(exc)
        if converted is exc:
            raise
        raise converted from exc
    for record in records:
        what = f"model {record.batch_value}" if record.is_model else record.batch_value
        when = f"{record.run_time:%Y-%m-%d %H:%M:%S} UTC"
        print(f"deleted #{record.id} {record.checkpoint} {what} ({record.verdict}, recorded {when})")
    site = "; Data Docs rebuilt without them" if rebuilt else ""
    print(f"removed {len(removed.observations)} observed value(s), {len(files)} result file(s) and page(s){site}")
    return EXIT_OK


def _not_deleted(exc: Exception) -> Exception:
    """A failed site rebuild as one line (nothing was deleted). A database error goes to the
    CLI's one-line warehouse message; anything else is a bug and keeps its traceback."""
    import sqlalchemy as sa

    from training.docs_site.finish import describe, site_errors

    if isinstance(exc, sa.exc.SQLAlchemyError):
        return exc
    if isinstance(exc, (TrainguardError, *site_errors())):
        reason = str(exc) if isinstance(exc, TrainguardError) else describe(exc)
        return TrainguardError(f"validations not deleted, the site could not be rebuilt: {reason}; nothing was deleted")
    return exc


def add_commands(groups: Any) -> None:
    """The `trainguard validation` commands and their options."""
    validation = groups.add_parser(
        "validation", help="list and delete recorded validations (the audit trail)"
    ).add_subparsers(dest="command", required=True, metavar="SUBCOMMAND")
    listing = add_command(
        validation,
        "list",
        cmd_validation_list,
        "list recorded validations: id, checkpoint, day or model, time, verdict, expectation counts",
    )
    listing.add_argument("--checkpoint", metavar="NAME", help="only this checkpoint's validations")
    json_flag(listing)
    delete = add_command(
        validation,
        "delete",
        cmd_validation_delete,
        "delete recorded validations: warehouse record and observed values, stored result, Data Docs page "
        "(the site is rebuilt without them)",
    )
    delete.add_argument("ids", nargs="*", type=int, metavar="ID", help=f"result ids ({LIST_HINT})")
    delete.add_argument("--checkpoint", metavar="NAME", help="with --date or --model: every validation of that batch")
    delete.add_argument("--date", type=parse_date, help="the day, YYYY-MM-DD (data checkpoints)")
    delete.add_argument("--model", metavar="MODEL_ID", help="the model id (model checkpoints)")
    delete.add_argument("--yes", action="store_true", help="delete without asking")
