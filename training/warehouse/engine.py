"""The SQLAlchemy engine for the warehouse URL from settings."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from training.errors import TrainguardError, WarehouseError


def masked_url(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable url>"


@lru_cache(maxsize=8)
def get_engine(url: str) -> sa.Engine:
    """An engine for ``url``; for SQLite the database folder is created."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise TrainguardError(f"invalid warehouse URL {url!r}: {exc}") from exc
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return sa.create_engine(parsed, pool_pre_ping=True)


def check_reachable(engine: sa.Engine) -> None:
    """Raise :class:`WarehouseError` with a one-line reason when the warehouse is unreachable."""
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise WarehouseError(f"cannot reach the warehouse {masked_url(str(engine.url))}: {reason}") from exc
