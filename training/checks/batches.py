"""What a batch is: the value of its batch column (a day, a model id), for expectations that
compare the batch with other rows of the same table."""

from __future__ import annotations

from typing import Any

from great_expectations.compatibility.sqlalchemy import sqlalchemy as sa
from great_expectations.execution_engine import SqlAlchemyExecutionEngine


def batch_value(execution_engine: SqlAlchemyExecutionEngine, column: str, selectable: Any) -> str | None:
    """The batch's value of ``column``: from the batch definition, else from its rows (which must
    all share one value). None for an empty batch."""
    spec = execution_engine.batch_manager.active_batch_spec or {}
    found = (spec.get("batch_identifiers") or {}).get(column)
    if found:
        return str(found)
    col = sa.column(column)
    low, high = execution_engine.execute_query(
        sa.select(sa.func.min(col), sa.func.max(col)).select_from(selectable)
    ).one()
    if low is not None and str(low) != str(high):
        raise ValueError(f"the batch spans several values of {column!r} ({low}..{high}); batch it by {column!r}")
    return None if low is None else str(low)
