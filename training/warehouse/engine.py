"""The SQLAlchemy engine for the warehouse URL from settings."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from training.core.errors import NotFoundError, TrainguardError, WarehouseError
from training.core.settings import warehouse_creation_allowed


def masked_url(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable url>"


def with_session_options(dialect: sa.Dialect, cparams: dict) -> None:
    """Add ``settings.postgres_options`` (``TRAINGUARD_POSTGRES_OPTIONS``) to the options of a
    PostgreSQL session about to be opened, after any options in the URL (once)."""
    from training.core.settings import current_settings

    options = current_settings().postgres_options
    present = cparams.get("options", "")
    postgres = dialect.name == "postgresql" and dialect.driver in ("psycopg2", "psycopg")
    if options and postgres and options not in present:
        cparams["options"] = f"{present} {options}".strip()


def _session_options(engine: sa.Engine) -> None:
    def do_connect(dialect: sa.Dialect, conn_rec: object, cargs: list, cparams: dict) -> None:
        with_session_options(dialect, cparams)

    sa.event.listen(engine, "do_connect", do_connect)


def _sqlite_path(url: sa.URL) -> Path | None:
    """The file of a SQLite URL; None for another backend, in memory, or a ``file:`` URI (whose
    own ``mode=`` decides whether it may be created)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if str(url.query.get("uri", "")).lower() in ("true", "1"):
        return None
    return Path(url.database)


def _missing(path: Path) -> bool:
    """Whether ``path`` does not exist and may not be created now."""
    return not path.exists() and not warehouse_creation_allowed()


def _sqlite_file(engine: sa.Engine, path: Path) -> None:
    """Check, at each new connection, that the SQLite file exists, or create its folder when
    creation is allowed (sqlite3 itself creates a missing file silently).

    Checked when connecting, not when the engine is made: engines are cached per URL, and a
    command that only serves files never needs the warehouse at all."""

    def do_connect(dialect: sa.Dialect, conn_rec: object, cargs: list, cparams: dict) -> None:
        if _missing(path):
            raise NotFoundError(f"no such warehouse file: {path}")
        path.parent.mkdir(parents=True, exist_ok=True)

    sa.event.listen(engine, "do_connect", do_connect)


def check_warehouse_file(url: str) -> None:
    """Raise ``no such warehouse file: PATH`` now, for a SQLite warehouse that does not exist and
    may not be created, before a command that needs it later has changed anything."""
    try:
        path = _sqlite_path(make_url(url))
    except Exception:
        return  # get_engine reports it
    if path is not None and _missing(path):
        raise NotFoundError(f"no such warehouse file: {path}")


@lru_cache(maxsize=8)
def get_engine(url: str) -> sa.Engine:
    """An engine for ``url``. A missing SQLite file (and its folder) is created on first
    connection only while :func:`training.core.settings.warehouse_creation` allows it (the default)."""
    try:
        parsed = make_url(url)
        # An unknown dialect or driver ("nosuchdialect://") fails here, as a traceback before.
        engine = sa.create_engine(parsed, pool_pre_ping=True)
    except Exception as exc:
        # Not the URL itself: an unparseable one cannot be masked and may hold a password.
        raise TrainguardError(f"invalid warehouse URL (TRAINGUARD_WAREHOUSE_URL): {exc}") from exc
    path = _sqlite_path(parsed)
    if path is not None:
        _sqlite_file(engine, path)
    _session_options(engine)
    return engine


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
