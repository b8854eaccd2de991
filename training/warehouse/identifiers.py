"""Identifier checks: table and column names are validated against the schema, then quoted."""

from __future__ import annotations

import sqlalchemy as sa

from training.core.errors import NotFoundError
from training.warehouse.names import check_identifier

__all__ = ["check_identifier", "existing_columns", "quote", "require_columns"]


def existing_columns(engine: sa.Engine, table: str) -> list[str]:
    """Columns of ``table`` in schema order; :class:`NotFoundError` if the table is missing."""
    check_identifier(table, "table")
    inspector = sa.inspect(engine)
    if not inspector.has_table(table):
        raise NotFoundError(f"table {table!r} does not exist in the warehouse")
    return [col["name"] for col in inspector.get_columns(table)]


def require_columns(engine: sa.Engine, table: str, columns: list[str]) -> None:
    """Raise :class:`NotFoundError` naming the first column of ``columns`` missing from ``table``."""
    present = set(existing_columns(engine, table))
    for column in columns:
        check_identifier(column, "column")
        if column not in present:
            raise NotFoundError(f"column {column!r} does not exist in table {table!r}")


def quote(engine: sa.Engine, name: str) -> str:
    """Quote a validated identifier for ``engine``'s dialect."""
    return engine.dialect.identifier_preparer.quote(check_identifier(name))
