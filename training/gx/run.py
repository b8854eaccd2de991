"""Run a checkpoint on one or more batches: the one code path behind the CLI and Airflow tasks.

Before GX is involved the batch is checked in the warehouse: a missing table or column is a
configuration error, and a batch with no rows is a failed validation (recorded as such), never
a crash or a silent pass.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from training.core.errors import InvalidProjectFileError, TrainguardError, WarehouseError
from training.core.settings import Settings, get_settings, use_settings
from training.gx import hooks
from training.gx.catalog import CheckpointInfo, checkpoint_info
from training.gx.record.history import outcome_row, record_outcomes
from training.gx.results import (
    CRITICAL,
    BatchResult,
    ExpectationOutcome,
    RunResult,
    collecting_site_problems,
    note_site_problem,
    take_site_problem,
)
from training.warehouse.engine import check_reachable, database_reason, get_engine
from training.warehouse.partitions import batch_has_rows
from training.warehouse.tables import ensure_tables

if TYPE_CHECKING:
    from great_expectations.data_context import FileDataContext


def _table_without_rows(engine: sa.Engine, info: CheckpointInfo, value: str) -> tuple[str, str] | None:
    """The first (table, column) of the checkpoint with no rows for batch ``value``, if any."""
    for table, column in info.tables or ((info.table, info.batch_column),):
        if column is not None and not batch_has_rows(engine, table, column, value):
            return table, column
    return None


def _empty_batch(info: CheckpointInfo, value: str, date: str | None, empty: tuple[str, str]) -> BatchResult:
    table, column = empty
    result = BatchResult(
        checkpoint=info.name,
        batch_key=info.batch_column or "",
        batch_value=value,
        success=False,
        error=f"no rows in table {table!r} where {column} = {value!r}",
        date=date,
    )
    record_outcomes([outcome_row(info.name, ",".join(info.suites), result.batch_key, value, False)])
    return result


def batch_result_from_gx(
    context: FileDataContext, info: CheckpointInfo, value: str, date: str | None, gx_result
) -> BatchResult:
    """Summarise a GX ``CheckpointResult``: failed expectations and the Data Docs page."""
    failed: list[ExpectationOutcome] = []
    evaluated = 0
    docs_page = None
    for identifier, validation in gx_result.run_results.items():
        evaluated += int((validation.statistics or {}).get("evaluated_expectations") or 0)
        failed += [ExpectationOutcome.from_gx(r) for r in validation.results if not r.success]
        try:
            urls = context.get_docs_sites_urls(resource_identifier=identifier)
        except OSError as exc:  # e.g. the site path is a file: the validation stands, its page does not
            note_site_problem(f"no Data Docs page for the validation: {exc}")
            urls = []
        docs_page = docs_page or next((u["site_url"] for u in urls if u.get("site_url")), None)
    failures = [f for f in failed if f.severity == CRITICAL]
    return BatchResult(
        checkpoint=info.name,
        batch_key=info.batch_column or "",
        batch_value=value,
        success=bool(gx_result.success) or not failures,
        evaluated=evaluated,
        failures=failures,
        warnings=[f for f in failed if f.severity != CRITICAL],
        docs_page=docs_page,
        date=date,
    )


def run_checkpoint(
    name: str,
    batch_values: Sequence[str],
    *,
    by_date: bool = True,
    settings: Settings | None = None,
    context: FileDataContext | None = None,
    on_result: Callable[[BatchResult], None] | None = None,
) -> RunResult:
    """Validate each of ``batch_values`` (days as 'YYYY-MM-DD', or other batch keys) in turn."""
    settings = settings or get_settings()
    info = checkpoint_info(settings.gx_root, name)
    if info.batch_column is None:
        raise TrainguardError(f"checkpoint {name!r} has no column-value batch definition")
    engine = get_engine(settings.warehouse_url)
    check_reachable(engine)
    ensure_tables(engine)
    with use_settings(settings), collecting_site_problems():
        return _run_all(name, info, batch_values, by_date, settings, engine, context, on_result)


def _run_all(
    name: str,
    info: CheckpointInfo,
    batch_values: Sequence[str],
    by_date: bool,
    settings: Settings,
    engine: sa.Engine,
    context: FileDataContext | None,
    on_result: Callable[[BatchResult], None] | None,
) -> RunResult:
    results: list[BatchResult] = []
    checkpoint = None
    with contextlib.ExitStack() as stack:
        for value in batch_values:
            date = value if by_date else None
            empty = _table_without_rows(engine, info, value)
            if empty is not None:
                result = _empty_batch(info, value, date, empty)
            else:
                if checkpoint is None:
                    context, checkpoint = _open(stack, settings, info, context, several=len(batch_values) > 1)
                result = _run_one(context, checkpoint, info, value, date)
            result.docs_error = result.docs_error or take_site_problem()
            results.append(result)
            if on_result is not None:
                on_result(result)
    return RunResult(checkpoint=name, results=results, docs_error=take_site_problem())


def _open(
    stack: contextlib.ExitStack,
    settings: Settings,
    info: CheckpointInfo,
    context: FileDataContext | None,
    several: bool,
) -> tuple[FileDataContext, Any]:
    """The context and checkpoint for a run; a run of several batches builds the docs index once."""
    from training.gx.context import check_suites_complete, open_context

    hooks.install_extensions()  # before around_gx: installing registers what it holds
    stack.enter_context(hooks.entered(hooks.around_gx))
    context = context or open_context(settings)
    check_suites_complete(context, info.suites)
    stack.enter_context(hooks.entered(hooks.around_run, context, settings, several))
    try:
        checkpoint = context.checkpoints.get(info.name)
    except Exception as exc:  # a hand-edited file: an unknown action type, a malformed field
        from training.gx.context import _first_line

        path = settings.gx_root / "checkpoints" / f"{info.name}.json"
        raise InvalidProjectFileError(f"invalid checkpoint {path}: {_first_line(exc)}") from exc
    stack.enter_context(hooks.entered(hooks.around_checkpoint, checkpoint))
    return context, checkpoint


def _run_one(context: FileDataContext, checkpoint, info: CheckpointInfo, value: str, date: str | None) -> BatchResult:
    try:
        with hooks.entered(hooks.around_batch, info.table, info.batch_column, value):
            gx_result = checkpoint.run(batch_parameters={info.batch_column: value})
    except sa.exc.SQLAlchemyError as exc:
        raise WarehouseError(f"warehouse error while validating {value}: {database_reason(exc)}") from exc
    except WarehouseError as exc:  # raised by the record action: the connection was lost mid-run
        raise WarehouseError(f"warehouse error while validating {value}: {exc}") from exc
    return batch_result_from_gx(context, info, value, date, gx_result)
