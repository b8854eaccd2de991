"""Recorded validations as the audit trail lists them, and their removal from the warehouse.

``trainguard validation list`` and ``validation delete`` read and change the records through
this module. It imports no GX: listing stays light, and the files a record points to (the stored
result, its Data Docs page) are found from the record and the store's folder layout alone.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from training.warehouse.tables import observations, validations

MODEL_KEY = "model_id"  # the batch key of model checkpoints (a day's batch key is its date column)


@dataclass(frozen=True)
class RecordedValidation:
    """One row of ``trainguard_validations``: a checkpoint's verdict on one day or model."""

    id: int
    checkpoint: str
    suite: str
    batch_key: str
    batch_value: str
    success: bool
    evaluated: int
    failed: int
    run_at: dt.datetime
    docs_page: str | None

    @property
    def is_model(self) -> bool:
        return self.batch_key == MODEL_KEY

    @property
    def verdict(self) -> str:
        """``FAILED``, ``passed`` or ``passed, N warnings`` (a pass with non-critical failures)."""
        if not self.success:
            return "FAILED"
        return f"passed, {self.failed} warnings" if self.failed else "passed"

    @property
    def run_time(self) -> dt.datetime:
        """The recording time in UTC (SQLite gives it back without a time zone)."""
        return self.run_at if self.run_at.tzinfo else self.run_at.replace(tzinfo=dt.UTC)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "checkpoint": self.checkpoint,
            "suite": self.suite,
            "day": None if self.is_model else self.batch_value,
            "model_id": self.batch_value if self.is_model else None,
            "batch_key": self.batch_key,
            "batch_value": self.batch_value,
            "run_at": self.run_time.isoformat(),
            "success": self.success,
            "verdict": self.verdict,
            "evaluated": self.evaluated,
            "failed": self.failed,
            "docs_page": self.docs_page,
        }


def recorded_validations(
    engine: sa.Engine, checkpoint: str | None = None, batch_value: str | None = None, ids: list[int] | None = None
) -> list[RecordedValidation]:
    """The recorded validations matching every given filter, oldest first. A warehouse without
    trainguard's tables has none (nothing is created: listing must not write)."""
    if not sa.inspect(engine).has_table(validations.name):
        return []
    query = sa.select(validations).order_by(validations.c.run_at, validations.c.id)
    if checkpoint is not None:
        query = query.where(validations.c.checkpoint == checkpoint)
    if batch_value is not None:
        query = query.where(validations.c.batch_value == batch_value)
    if ids is not None:
        query = query.where(validations.c.id.in_(ids))
    with engine.connect() as conn:
        return [RecordedValidation(**row._asdict()) for row in conn.execute(query)]


@dataclass
class RemovedRecords:
    """The rows a deletion removed, whole, so that a deletion failing later can put them back."""

    validations: list[dict[str, Any]] = field(default_factory=list)
    observations: list[dict[str, Any]] = field(default_factory=list)


def _observation_filter(conn: sa.Connection, record: RecordedValidation) -> Any:
    """The observed values recorded with ``record``: there is no key between the two tables, but
    the record action writes a validation's observations just after its row, so they are those
    of its checkpoint, suite and batch from its run time up to the next recording of that batch."""
    same = (
        validations.c.checkpoint == record.checkpoint,
        validations.c.suite == record.suite,
        validations.c.batch_value == record.batch_value,
    )
    later = sa.or_(
        validations.c.run_at > record.run_at,
        sa.and_(validations.c.run_at == record.run_at, validations.c.id > record.id),
    )
    following = conn.execute(sa.select(sa.func.min(validations.c.run_at)).where(*same, later)).scalar()
    window = [observations.c.run_at >= record.run_at]
    if following is not None:
        window.append(observations.c.run_at < following)
    return sa.and_(
        observations.c.checkpoint == record.checkpoint,
        observations.c.suite == record.suite,
        observations.c.batch_value == record.batch_value,
        *window,
    )


def delete_records(engine: sa.Engine, records: list[RecordedValidation]) -> RemovedRecords:
    """Delete ``records`` and their observed values (the history charts' points) in one transaction."""
    removed = RemovedRecords()
    with engine.begin() as conn:
        filters = [_observation_filter(conn, record) for record in records]
        if filters and sa.inspect(conn).has_table(observations.name):
            selected = sa.select(observations).where(sa.or_(*filters)).order_by(observations.c.id)
            removed.observations = [row._asdict() for row in conn.execute(selected)]
        ids = [record.id for record in records]
        removed.validations = [
            row._asdict() for row in conn.execute(sa.select(validations).where(validations.c.id.in_(ids)))
        ]
        if removed.observations:
            gone = [row["id"] for row in removed.observations]
            conn.execute(observations.delete().where(observations.c.id.in_(gone)))
        conn.execute(validations.delete().where(validations.c.id.in_(ids)))
    return removed


def restore_records(engine: sa.Engine, removed: RemovedRecords) -> None:
    """Insert rows removed by :func:`delete_records` again, with their ids, in one transaction."""
    with engine.begin() as conn:
        if removed.validations:
            conn.execute(validations.insert(), removed.validations)
        if removed.observations:
            conn.execute(observations.insert(), removed.observations)


def _parse_run_time(text: Any) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _checkpoint_id(gx_root: Path, name: str) -> str | None:
    """The id GX stamps on the results of checkpoint ``name`` (None once its file is gone)."""
    try:
        value = json.loads((gx_root / "checkpoints" / f"{name}.json").read_text()).get("id")
    except (OSError, ValueError, AttributeError):
        return None
    return str(value) if value else None


def _result_in_store(gx_root: Path, record: RecordedValidation, since: dt.datetime | None) -> Path | None:
    """For a record without a page: the stored result of its suite, checkpoint and batch whose
    run time is the latest before the record's (GX stores the result, then the record action
    runs), and after ``since``, the previous recording of the same batch. None when GX never ran
    (a day without rows is recorded as failed without a GX run)."""
    folder = gx_root / "uncommitted" / "validations" / record.suite
    checkpoint_id = _checkpoint_id(gx_root, record.checkpoint)
    best: tuple[dt.datetime, Path] | None = None
    for path in folder.glob("*/*/*.json") if folder.is_dir() else []:
        try:
            meta = json.loads(path.read_text()).get("meta") or {}
        except (OSError, ValueError, AttributeError):
            continue
        params = meta.get("batch_parameters") or {}
        run_time = _parse_run_time((meta.get("run_id") or {}).get("run_time"))
        if checkpoint_id is not None and meta.get("checkpoint_id") not in (None, checkpoint_id):
            continue  # the suite's result from another checkpoint
        if str(params.get(record.batch_key)) != record.batch_value:
            continue
        if run_time is None or run_time > record.run_time or (since is not None and run_time <= since):
            continue
        if best is None or run_time > best[0]:
            best = (run_time, path)
    return best[1] if best else None


def stored_files(gx_root: Path, site: Path, record: RecordedValidation, since: dt.datetime | None = None) -> list[Path]:
    """The files of ``record`` that exist: its stored GX result and its Data Docs page (the real
    path inside the current build, not through the site's symlink). ``since`` is the run time of
    the previous recording of the same batch, for a record without a page (its result is then
    looked up in the store)."""
    store = gx_root / "uncommitted" / "validations"
    relative = _page_in_site(site, record.docs_page)
    if relative is None:
        result = _result_in_store(gx_root, record, since)
        return [result] if result is not None else []
    # The page names its result exactly; either may be gone already (``docs prune``).
    result, page = store / relative.with_suffix(".json"), site / "validations" / relative
    return [*([result] if result.is_file() else []), *([page.resolve()] if page.is_file() else [])]


def _page_in_site(site: Path, docs_page: str | None) -> Path | None:
    """A recorded page URL as a path below the site's ``validations/`` folder. The URL holds the
    project's path at recording time: a project moved since is found by the site's folder name."""
    if not docs_page:
        return None
    path = docs_page.removeprefix("file://")
    try:
        return Path(path).relative_to(site / "validations")
    except ValueError:
        marker = f"/{site.name}/validations/"
        return Path(path.rsplit(marker, 1)[1]) if marker in path else None


def previous_run_time(engine: sa.Engine, record: RecordedValidation) -> dt.datetime | None:
    """The run time of the recording of the same checkpoint, suite and batch before ``record``."""
    with engine.connect() as conn:
        earlier = conn.execute(
            sa.select(sa.func.max(validations.c.run_at)).where(
                validations.c.checkpoint == record.checkpoint,
                validations.c.suite == record.suite,
                validations.c.batch_value == record.batch_value,
                sa.or_(
                    validations.c.run_at < record.run_at,
                    sa.and_(validations.c.run_at == record.run_at, validations.c.id < record.id),
                ),
            )
        ).scalar()
    if earlier is None:
        return None
    return earlier if earlier.tzinfo else earlier.replace(tzinfo=dt.UTC)
