"""The SQLAlchemy engine for the warehouse URL from settings."""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from training.core.errors import TrainguardError, WarehouseError


def masked_url(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable url>"


@cache
def install_session_options() -> None:
    """Start every PostgreSQL session trainguard or GX opens in this process with
    ``settings.postgres_options`` (``TRAINGUARD_POSTGRES_OPTIONS``), after any options in the URL."""

    def do_connect(dialect: sa.Dialect, conn_rec: object, cargs: list, cparams: dict) -> None:
        from training.core.settings import current_settings

        options = current_settings().postgres_options
        if options and dialect.name == "postgresql" and dialect.driver in ("psycopg2", "psycopg"):
            cparams["options"] = f"{cparams.get('options', '')} {options}".strip()

    sa.event.listen(sa.engine.Engine, "do_connect", do_connect)


@lru_cache(maxsize=8)
def get_engine(url: str) -> sa.Engine:
    """An engine for ``url``; for SQLite the database folder is created."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        # Not the URL itself: an unparseable one cannot be masked and may hold a password.
        raise TrainguardError(f"invalid warehouse URL (TRAINGUARD_WAREHOUSE_URL): {exc}") from exc
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    install_session_options()
    return sa.create_engine(parsed, pool_pre_ping=True)


def database_reason(exc: BaseException) -> str:
    """The driver's own message, first non-empty line (psycopg's run over several lines)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return next((line.strip() for line in text.splitlines() if line.strip()), type(exc).__name__)


def check_reachable(engine: sa.Engine) -> None:
    """Raise :class:`WarehouseError` with a one-line reason when the warehouse is unreachable."""
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        reason = database_reason(exc)
        raise WarehouseError(f"cannot reach the warehouse {masked_url(str(engine.url))}: {reason}") from exc
