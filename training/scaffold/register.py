"""Write a scaffolded suite into the GX project: table asset, daily batch definition, suite,
validation definition and checkpoint (with Data Docs and outcome recording).

Everything is built and checked in memory first; files are written only once GX accepted
every expectation. An existing suite is never replaced silently: without ``force`` it is an
error, with ``force`` the old file is copied to ``uncommitted/backups/`` first.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from training.core.errors import TrainguardError
from training.core.settings import Settings, get_settings
from training.scaffold.build import ScaffoldOptions, build_expectations
from training.scaffold.profile import profile_window
from training.warehouse.engine import check_reachable, get_engine
from training.warehouse.identifiers import check_identifier, existing_columns
from training.warehouse.partitions import days_between

if TYPE_CHECKING:
    from great_expectations.data_context import FileDataContext

DATASOURCE = "warehouse"
BATCH_DEFINITION = "daily"
MODEL_ASSET = "model_metrics"
MODEL_BATCH_DEFINITION = "per_model"


@dataclass(frozen=True)
class ScaffoldResult:
    name: str
    suite_path: Path
    expectations: int
    by_type: dict[str, int]
    backup: Path | None


def _existing(context: FileDataContext, name: str) -> list[str]:
    root = Path(context.root_directory)
    return [
        kind
        for kind, folder in (
            ("suite", "expectations"),
            ("validation definition", "validation_definitions"),
            ("checkpoint", "checkpoints"),
        )
        if (root / folder / f"{name}.json").exists()
    ]


def _backup(context: FileDataContext, name: str) -> Path | None:
    source = Path(context.root_directory) / "expectations" / f"{name}.json"
    if not source.exists():
        return None
    folder = Path(context.root_directory) / "uncommitted" / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%fZ}.json"
    shutil.copy2(source, target)
    return target


def _gx_table_name(table: str) -> str:
    """The name GX should query: GX puts an unquoted ``table_name`` into its SQL as written
    (``FROM order`` is a syntax error) and lowercases it, so a reserved word or a name with
    capitals is given in double quotes, which GX keeps as a quoted name."""
    import sqlalchemy as sa
    from sqlalchemy.engine import default

    preparer = sa.sql.compiler.IdentifierPreparer(default.DefaultDialect())
    return f'"{table}"' if preparer._requires_quotes(table) else table


def _daily_batch_definition(context: FileDataContext, table: str, date_column: str) -> Any:
    from great_expectations.core.partitioners import PartitionerColumnValue

    datasource = context.data_sources.get(DATASOURCE)
    asset = next((a for a in datasource.assets if a.name == table), None) or datasource.add_table_asset(
        name=table, table_name=_gx_table_name(table)
    )
    existing = next((b for b in asset.batch_definitions if b.name == BATCH_DEFINITION), None)
    if existing is not None:
        column = getattr(existing.partitioner, "column_name", None)
        if column != date_column:
            raise TrainguardError(
                f"asset {table!r} already batches {BATCH_DEFINITION!r} by {column!r}, not {date_column!r}"
            )
        return existing
    return asset.add_batch_definition(
        BATCH_DEFINITION, partitioner=PartitionerColumnValue(column_name=date_column), validate_partitioner=False
    )


def write_suite(
    context: FileDataContext,
    name: str,
    table: str,
    date_column: str,
    expectations: Sequence[dict],
    *,
    force: bool = False,
) -> tuple[Path, Path | None]:
    """Register ``expectations`` as suite + validation definition + checkpoint ``name``,
    validating one day of ``table`` per run."""
    return register_checkpoint(
        context,
        name,
        lambda: _daily_batch_definition(context, table, date_column),
        expectations,
        meta={"table": table, "date_column": date_column},
        force=force,
    )


def model_batch_definition(context: FileDataContext) -> Any:
    """The committed batch definition of one model's rows in ``trainguard_model_metrics``."""
    asset = context.data_sources.get(DATASOURCE).get_asset(MODEL_ASSET)
    return asset.get_batch_definition(MODEL_BATCH_DEFINITION)


# Counts and percentages of unexpected values, without example values: GX fetches examples with
# one query per row-level expectation, and with none to find that query scans the whole day.
# Set "partial_unexpected_count" in a checkpoint's file to see examples at that cost.
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 0}


def register_checkpoint(
    context: FileDataContext,
    name: str,
    batch_definition: Callable[[], Any],
    expectations: Sequence[dict],
    *,
    meta: dict[str, Any],
    force: bool = False,
) -> tuple[Path, Path | None]:
    """Register ``expectations`` as suite + validation definition + checkpoint ``name`` on the
    batch definition ``batch_definition()`` returns; ``meta`` is kept in the suite."""
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    import great_expectations as gx
    from training.gx.record.action import RecordOutcomeAction

    clashes = _existing(context, name)
    if clashes and not force:
        raise TrainguardError(
            f"{' and '.join(clashes)} {name!r} already exist(s) and may have been edited by hand; "
            "pass --force to replace them (the current suite is kept in uncommitted/backups/) or pick another --name"
        )
    try:
        built = [ExpectationConfiguration(**config).to_domain_obj() for config in expectations]
    except Exception as exc:  # GX raises pydantic and its own errors for a bad configuration
        raise TrainguardError(f"scaffolded expectation rejected by GX: {exc}") from exc
    # Passed to the constructor, not added one by one: GX's add_expectation() on a suite whose
    # name is already stored writes each expectation into the *stored* suite.
    suite = gx.ExpectationSuite(name=name, expectations=built, meta={"trainguard": meta})
    # Resolve the batch definition first: if it conflicts, nothing has been deleted yet.
    definition_of_batch = batch_definition()
    backup = _backup(context, name) if clashes else None
    # Each file is overwritten in place, never deleted first: a run killed at any moment leaves
    # every one of the three the old or the new one (deleting all three, then adding them, left
    # a checkpoint-less suite when the kill fell between). The checkpoint goes last, so it never
    # names a validation definition that is not there.
    suite = _replace(context.suites, suite, update=context.suites.add_or_update)
    definition = _replace(
        context.validation_definitions, gx.ValidationDefinition(name=name, data=definition_of_batch, suite=suite)
    )
    checkpoint = gx.Checkpoint(
        name=name,
        validation_definitions=[definition],
        actions=[UpdateDataDocsAction(name="update_data_docs"), RecordOutcomeAction()],
        result_format=RESULT_FORMAT,
    )
    _replace(context.checkpoints, checkpoint)
    return Path(context.root_directory) / "expectations" / f"{name}.json", backup


def _replace(factory: Any, new: Any, update: Callable[[Any], Any] | None = None) -> Any:
    """Store ``new`` (a suite, validation definition or checkpoint) under its name: added when
    there is none, else written over the stored one, whose id it keeps (so that what refers to
    it by id still finds it). A stored one that GX cannot read is deleted and replaced.
    ``update`` is GX's own add-or-update where it only writes that one file (suites: a
    validation definition's would also rewrite great_expectations.yml)."""
    from great_expectations.exceptions import DataContextError

    try:
        existing = factory.get(new.name)
    except DataContextError:
        return factory.add(new)
    except Exception:  # an unreadable file (hand-edited): GX raises its own and pydantic errors
        try:
            factory.delete(new.name)
        except Exception:
            pass
        return factory.add(new)
    if update is not None:
        # Outside the try: a failed write (a full disk) must reach the folder guard as it is.
        return update(new)
    new.id = existing.id
    new.save()
    return new


def parse_reference(text: str) -> tuple[dt.date, dt.date]:
    """``START:END`` (inclusive, YYYY-MM-DD) to a pair of dates."""
    try:
        start, end = (dt.date.fromisoformat(part) for part in text.split(":"))
    except ValueError:
        raise TrainguardError(f"invalid --reference {text!r}: expected START:END as YYYY-MM-DD:YYYY-MM-DD") from None
    if (end - start).days < 1:
        raise TrainguardError(f"reference window {text} needs at least two days, start before end")
    return start, end


def scaffold_suite(
    name: str,
    table: str,
    date_column: str,
    reference: tuple[dt.date, dt.date],
    *,
    columns: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    options: ScaffoldOptions | None = None,
    force: bool = False,
    settings: Settings | None = None,
    context: FileDataContext | None = None,
) -> ScaffoldResult:
    """Profile ``reference`` of ``table`` and write suite and checkpoint ``name``."""
    settings = settings or get_settings()
    # The suite's rolling checks read the outcomes recorded under its own name.
    options = dataclasses.replace(options or ScaffoldOptions(), suite=name)
    check_identifier(name, "suite")
    options.check()
    engine = get_engine(settings.warehouse_url)
    check_reachable(engine)
    all_columns = existing_columns(engine, table)
    chosen = [c for c in (columns or all_columns) if c != date_column and c not in set(exclude)]
    if options.target and options.target not in chosen:
        chosen.append(options.target)
    if not chosen:
        raise TrainguardError("no columns left to profile")
    profile = profile_window(engine, table, date_column, days_between(*reference), chosen)
    expectations = build_expectations(profile, all_columns, options)
    if context is None:
        from training.gx.context import open_context

        context = open_context(settings)
    path, backup = write_suite(context, name, table, date_column, expectations, force=force)
    return ScaffoldResult(name, path, len(expectations), dict(Counter(e["type"] for e in expectations)), backup)
