"""Every knob of trainguard, read once from ``TRAINGUARD_*`` environment variables.

Nothing else in the package reads the environment. Defaults are embedded and relative to the
project root so that a fresh clone runs without any configuration.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from training.core.errors import SettingsError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# PostgreSQL's JIT compiles each wide aggregate query anew: 0.2 s of a 1.2 s day scan on 1M rows.
POSTGRES_OPTIONS = "-c jit=off"


@dataclass(frozen=True)
class Settings:
    """Resolved configuration; paths are absolute."""

    project_root: Path
    warehouse_url: str
    gx_root: Path
    model_store: Path
    var_dir: Path
    airflow_home: Path
    train_window_days: int
    docs_host: str
    docs_port: int
    airflow_conn_id: str
    pipelines_dir: Path
    postgres_options: str = POSTGRES_OPTIONS
    gx_speedups: bool = True
    # The Celery queue of every trainguard task (None: Airflow's [operators] default_queue).
    airflow_queue: str | None = None

    @property
    def docs_url(self) -> str:
        """Where ``trainguard docs serve`` publishes the site (links in Airflow point here)."""
        return f"http://{self.docs_host}:{self.docs_port}"

    @property
    def data_docs_dir(self) -> Path:
        return self.gx_root / "uncommitted" / "data_docs" / "local_site"


def _path(env: dict[str, str], name: str, default: Path) -> Path:
    value = env.get(name)
    return Path(value).expanduser().resolve() if value else default


def _int(env: dict[str, str], name: str, default: int, low: int, high: int | None = None) -> int:
    value = env.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise SettingsError(f"{name} must be an integer. Got {value!r} instead.") from exc
    if number < low or (high is not None and number > high):
        limits = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise SettingsError(f"{name} must be {limits}. Got {value!r} instead.")
    return number


def _folder(env: dict[str, str], name: str, path: Path) -> Path:
    """``path``, refused when it or a parent is an existing file (nothing could be written there)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            if not candidate.is_dir():
                raise SettingsError(f"{name} is {path}, but {candidate} is a file, not a folder")
            break
    return path


def _switch(env: dict[str, str], name: str, default: bool) -> bool:
    value = (env.get(name) or "").strip().lower()
    if not value:
        return default
    if value in ("on", "true", "1", "yes"):
        return True
    if value in ("off", "false", "0", "no"):
        return False
    raise SettingsError(f"{name} must be on or off. Got {env[name]!r} instead.")


def _existing_folder(env: dict[str, str], name: str, path: Path) -> Path:
    """``path`` (checked by :func:`_folder`); when the variable is set, the folder must exist:
    a mistyped project path would otherwise read as an empty project."""
    _folder(env, name, path)
    if env.get(name) and not path.is_dir():
        raise SettingsError(f"{name} is {path}, which does not exist")
    return path


_HOST_NAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
# Airflow reads a connection from AIRFLOW_CONN_<ID>; `airflow env` exports that name.
_CONN_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PG_OPTION = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*=\S*$")


def _docs_host(env: dict[str, str]) -> str:
    import ipaddress

    host = env.get("TRAINGUARD_DOCS_HOST") or "127.0.0.1"
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        if _HOST_NAME.match(host):
            return host
    raise SettingsError(f"TRAINGUARD_DOCS_HOST must be a host name or IP address (no port). Got {host!r} instead.")


def _conn_id(env: dict[str, str]) -> str:
    conn_id = env.get("TRAINGUARD_AIRFLOW_CONN_ID") or "trainguard_warehouse"
    if not _CONN_ID.match(conn_id):
        raise SettingsError(
            f"TRAINGUARD_AIRFLOW_CONN_ID must be letters, digits and underscores. Got {conn_id!r} instead."
        )
    return conn_id


_QUEUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@-]{0,199}")


def _queue(env: dict[str, str]) -> str | None:
    """``TRAINGUARD_AIRFLOW_QUEUE``: route trainguard's tasks to the workers that mount the GX
    folder and the model store (``airflow celery worker --queues NAME``)."""
    queue = (env.get("TRAINGUARD_AIRFLOW_QUEUE") or "").strip()
    if not queue:
        return None
    if not _QUEUE.fullmatch(queue):
        raise SettingsError(
            "TRAINGUARD_AIRFLOW_QUEUE must be a queue name (letters, digits and _ . : @ -, at most 200). "
            f"Got {queue!r} instead."
        )
    return queue


def _postgres_options(env: dict[str, str]) -> str:
    """Session options as libpq's ``options`` takes them (``-c name=value`` or
    ``--name=value``); anything else would fail every PostgreSQL connection with a server error
    that does not say where the options came from."""
    import shlex

    value = env.get("TRAINGUARD_POSTGRES_OPTIONS", POSTGRES_OPTIONS).strip()
    try:
        tokens = shlex.split(value)
    except ValueError:
        tokens = ["\0"]
    ok, i = True, 0
    while ok and i < len(tokens):
        token = tokens[i]
        if token == "-c" and i + 1 < len(tokens) and _PG_OPTION.match(tokens[i + 1]):
            i += 2
        elif (token.startswith("-c") and _PG_OPTION.match(token[2:])) or (
            token.startswith("--") and _PG_OPTION.match(token[2:])
        ):
            i += 1
        else:
            ok = False
    if not ok:
        raise SettingsError(
            f"TRAINGUARD_POSTGRES_OPTIONS must be '-c name=value' options (e.g. '-c jit=off'). Got {value!r} instead."
        )
    return value


MAX_TRAIN_WINDOW_DAYS = 36500  # a century: more cannot be a date range


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Build settings from ``env`` (default: the process environment). Every value is checked
    here, so that a bad one is one line naming its variable (exit 2) whatever the command,
    rather than a failure wherever it is first used."""
    env = dict(os.environ if env is None else env)
    root = _existing_folder(env, "TRAINGUARD_HOME", _path(env, "TRAINGUARD_HOME", PROJECT_ROOT))
    var_dir = _folder(env, "TRAINGUARD_VAR_DIR", _path(env, "TRAINGUARD_VAR_DIR", root / "var"))
    window = _int(env, "TRAINGUARD_TRAIN_WINDOW_DAYS", 7, low=1)
    if window > MAX_TRAIN_WINDOW_DAYS:
        raise SettingsError(f"TRAINGUARD_TRAIN_WINDOW_DAYS must be at most {MAX_TRAIN_WINDOW_DAYS}. Got {window}.")
    return Settings(
        project_root=root,
        # Checked where an engine is made (get_engine), not here: reading settings must work
        # with any URL (commands that never connect, tests building a project around a bad one).
        warehouse_url=env.get("TRAINGUARD_WAREHOUSE_URL") or f"sqlite:///{var_dir / 'warehouse.db'}",
        gx_root=_existing_folder(
            env, "TRAINGUARD_GX_ROOT", _path(env, "TRAINGUARD_GX_ROOT", root / "great_expectations")
        ),
        model_store=_folder(env, "TRAINGUARD_MODEL_STORE", _path(env, "TRAINGUARD_MODEL_STORE", var_dir / "models")),
        var_dir=var_dir,
        airflow_home=_folder(
            env, "TRAINGUARD_AIRFLOW_HOME", _path(env, "TRAINGUARD_AIRFLOW_HOME", var_dir / "airflow")
        ),
        train_window_days=window,
        docs_host=_docs_host(env),
        docs_port=_int(env, "TRAINGUARD_DOCS_PORT", 8765, low=1, high=65535),
        airflow_conn_id=_conn_id(env),
        pipelines_dir=_folder(
            env, "TRAINGUARD_PIPELINES_DIR", _path(env, "TRAINGUARD_PIPELINES_DIR", root / "pipelines")
        ),
        postgres_options=_postgres_options(env),
        gx_speedups=_switch(env, "TRAINGUARD_GX_SPEEDUPS", True),
        airflow_queue=_queue(env),
    )


def airflow_connection(url: str) -> str:
    """An Airflow connection (JSON form) for a SQLAlchemy URL, for the SQL check operators."""
    import json

    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return json.dumps({"conn_type": "sqlite", "host": parsed.database or ":memory:"})
    conn_type = {"postgresql": "postgres"}.get(backend, backend)
    fields = {"host": parsed.host, "login": parsed.username, "password": parsed.password, "schema": parsed.database}
    conn = {"conn_type": conn_type, **{k: v for k, v in fields.items() if v}}
    if parsed.port:
        conn["port"] = parsed.port
    return json.dumps(conn)


def airflow_env(settings: Settings, env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for an Airflow subprocess: embedded defaults (SQLite metadata database in
    ``airflow_home``, this project's ``dags/``, no examples, a warehouse connection matching
    ``TRAINGUARD_WAREHOUSE_URL``) unless the caller set them."""
    env = dict(os.environ if env is None else env)
    defaults = {
        f"AIRFLOW_CONN_{settings.airflow_conn_id.upper()}": airflow_connection(settings.warehouse_url),
        "AIRFLOW_HOME": str(settings.airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(settings.project_root / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{settings.airflow_home / 'airflow.db'}",
        "AIRFLOW__CORE__PARALLELISM": "4",
    }
    return {**defaults, **env}


# Whether opening a SQLite warehouse that does not exist may create it (file and folders). The
# library default (Airflow tasks, the Python API, tests) is yes; the CLI switches it off for
# every command but the loading ones, so that a mistyped path is an error rather than a new,
# empty warehouse. A process-wide switch, not a context variable: GX may connect from threads.
_creation_allowed = True


@contextmanager
def warehouse_creation(allowed: bool) -> Iterator[None]:
    """Within the block, a missing SQLite warehouse file is created only if ``allowed``;
    otherwise connecting raises :class:`NotFoundError` ``no such warehouse file: PATH``."""
    global _creation_allowed
    previous, _creation_allowed = _creation_allowed, allowed
    try:
        yield
    finally:
        _creation_allowed = previous


def warehouse_creation_allowed() -> bool:
    """Whether a missing SQLite warehouse may be created now (see :func:`warehouse_creation`)."""
    return _creation_allowed


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests call ``get_settings.cache_clear()`` after changing env)."""
    return load_settings()


_ACTIVE: ContextVar[Settings | None] = ContextVar("trainguard_settings", default=None)


@contextmanager
def use_settings(settings: Settings) -> Iterator[Settings]:
    """Make ``settings`` the ones GX checkpoint actions see while a run is in progress (they are
    built by GX and cannot be handed settings), so outcomes land in the validated warehouse."""
    token = _ACTIVE.set(settings)
    try:
        yield settings
    finally:
        _ACTIVE.reset(token)


def current_settings() -> Settings:
    """The settings of the run in progress, else the process-wide ones."""
    return _ACTIVE.get() or get_settings()
