"""Bad input on the command line, a read-only warehouse, and credentials kept out of output and
Data Docs. Every usage or configuration problem is exit 2 with exactly one line on stderr."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import make_project, postgres_database, run_cli
from training.cli.main import main


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr[-3000:]
    assert "Traceback" not in stderr
    return lines[0]


@pytest.fixture
def seeded(tmp_path):
    """A private SQLite project with two demo days: (folder, engine, CLI env)."""
    from training.demo.seed import seed_demo

    settings, env = make_project(tmp_path)
    engine = sa.create_engine(settings.warehouse_url)
    seed_demo(engine, dt.date(2026, 9, 1), dt.date(2026, 9, 2))
    yield tmp_path, engine, env
    engine.dispose()


def _trips(engine: sa.Engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT ds, COUNT(*) FROM trips GROUP BY ds ORDER BY ds")).all()


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["2026-02-30", "2025-02-29", "2026-04-31", "0000-01-01", "2026-09-01' OR 1=1 --"])
@pytest.mark.parametrize(
    "argv",
    [
        ["checkpoint", "run", "trips_daily", "--date", "{}"],
        ["checkpoint", "run", "trips_daily", "--from", "{}", "--to", "2026-09-02"],
        ["model", "train", "--date", "{}"],
        ["demo", "seed", "--start", "2026-09-01", "--end", "{}"],
    ],
)
def test_impossible_dates_are_one_line_usage_errors_on_every_command(argv, bad, capsys):
    # Parsed in-process: argparse rejects the value before any command (or database) runs.
    with pytest.raises(SystemExit) as exit_info:
        main([part.format(bad) for part in argv])
    assert exit_info.value.code == 2
    line = _one_line(capsys.readouterr().err)
    assert f"invalid date {bad!r}: expected YYYY-MM-DD" in line and "--help" in line


def test_a_future_day_is_a_failed_presence_check_not_a_usage_error(seeded):
    """Decision: a day after today is not refused up front. A warehouse may legitimately hold
    rows keyed by a future day (schedules, forecasts, another time zone's tomorrow); with no
    rows it fails the presence check like any empty day: exit 1, recorded as failed, so training
    never uses it."""
    _, engine, env = seeded
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    proc = run_cli("checkpoint", "run", "trips_daily", "--date", future, env=env)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert f"no rows in table 'trips' where ds = '{future}'" in proc.stdout
    with engine.connect() as conn:
        recorded = conn.execute(
            sa.text("SELECT success FROM trainguard_validations WHERE batch_value = :d"), {"d": future}
        )
        assert recorded.all() == [(False,)]


# --- injection-looking values ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        (["data", "load", "--table", "trips; DROP TABLE trips", "--date-column", "ds"], 2, "invalid table name"),
        (["data", "load", "--table", "t2", "--date-column", "ds; DROP TABLE trips"], 2, "has no column"),
        (
            ["suite", "scaffold", "--table", "trips; DROP TABLE trips", "--date-column", "ds"],
            2,
            "invalid table name",
        ),
        (["suite", "scaffold", "--table", "trips", "--date-column", "ds' OR 1=1 --"], 2, "has no date column"),
        (["checkpoint", "run", "trips_daily", "--date", "2026-09-01' OR 1=1 --"], 2, "invalid date"),
        (["checkpoint", "run", "trips; DROP TABLE trips", "--date", "2026-09-01"], 2, "unknown checkpoint"),
        (["model", "show", "x' OR '1'='1"], 2, "unknown model"),
        (["model", "promote", "x'; DROP TABLE trips; --"], 2, "unknown model"),
    ],
)
def test_injection_looking_values_are_refused_and_tables_stay_intact(seeded, args, exit_code, message):
    path, engine, env = seeded
    before = _trips(engine)
    (path / "f.csv").write_text("ds,a\n2026-09-01,1\n")
    if args[:2] == ["data", "load"]:
        args = [*args, "--file", str(path / "f.csv")]
    if args[:2] == ["suite", "scaffold"]:
        args = [*args, "--reference", "2026-09-01:2026-09-02", "--name", "x"]
    proc = run_cli(*args, env=env)
    assert proc.returncode == exit_code, (proc.stdout[-1000:], proc.stderr[-2000:])
    assert message in _one_line(proc.stderr)
    assert _trips(engine) == before
    assert set(sa.inspect(engine).get_table_names()) <= {"trips", *_TRAINGUARD_TABLES}


_TRAINGUARD_TABLES = {
    "trainguard_validations",
    "trainguard_observations",
    "trainguard_models",
    "trainguard_model_metrics",
    "trainguard_production",
    "trainguard_promotions",
}


def test_an_injection_looking_model_id_is_a_bound_value(seeded):
    """A model checkpoint's batch value goes to the database as a parameter: no rows match, so
    it is a failed presence check, and the model tables are untouched."""
    _, engine, env = seeded
    before = _trips(engine)
    proc = run_cli("checkpoint", "run", "trips_model", "--model", "x' OR '1'='1", env=env)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "no rows in table 'trainguard_model_metrics' where model_id = \"x' OR '1'='1\"" in proc.stdout
    assert "Traceback" not in proc.stderr
    assert _trips(engine) == before


# --- a read-only warehouse -------------------------------------------------------------------


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


READ_ONLY_COMMANDS = [
    (["checkpoint", "run", "trips_daily", "--date", "2026-09-02"], "attempt to write a readonly database"),
    (["data", "load", "--table", "sales", "--date-column", "ds"], "nothing was written"),
    (["demo", "seed", "--start", "2026-09-03", "--end", "2026-09-03"], "attempt to write a readonly database"),
]


@pytest.mark.parametrize(("args", "message"), READ_ONLY_COMMANDS)
def test_a_read_only_sqlite_warehouse_is_a_clear_error_and_stays_unchanged(seeded, args, message):
    # The tests run as root, for whom chmod 0444 does not stop writes: SQLite's read-only open
    # mode is what a read-only mount or a file owned by someone else gives an ordinary user.
    path, engine, env = seeded
    from training.warehouse.tables import ensure_tables

    ensure_tables(engine)
    engine.dispose()
    database = path / "warehouse.db"
    before = _digest(database)
    (path / "sales.csv").write_text("ds,amount\n2026-09-01,1\n")
    if args[:2] == ["data", "load"]:
        args = [*args, "--file", str(path / "sales.csv")]
    env = {**env, "TRAINGUARD_WAREHOUSE_URL": f"sqlite:///file:{database}?mode=ro&uri=true"}
    proc = run_cli(*args, env=env)
    assert proc.returncode == 2, (proc.stdout[-1000:], proc.stderr[-2000:])
    line = _one_line(proc.stderr)
    assert line.startswith("error: ") and message in line
    assert _digest(database) == before


@pytest.mark.postgres
def test_a_select_only_postgres_role_is_a_clear_error_and_writes_nothing(tmp_path):
    from training.demo.seed import seed_demo
    from training.warehouse.tables import ensure_tables

    role = f"tg_reader_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine("postgresql+psycopg2://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    try:
        with postgres_database() as url:
            engine = sa.create_engine(url)
            seed_demo(engine, dt.date(2026, 9, 1), dt.date(2026, 9, 2))
            ensure_tables(engine)
            with engine.begin() as conn:
                conn.execute(sa.text(f'CREATE ROLE "{role}" LOGIN'))
                conn.execute(sa.text(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"'))
            reader_url = url.replace("postgres@", f"{role}@")
            _, env = make_project(tmp_path, reader_url)
            (tmp_path / "sales.csv").write_text("ds,amount\n2026-09-01,1\n")
            runs = [
                run_cli("checkpoint", "run", "trips_daily", "--date", "2026-09-02", env=env),
                run_cli(
                    "data",
                    "load",
                    "--table",
                    "trips",
                    "--file",
                    str(tmp_path / "sales.csv"),
                    "--date-column",
                    "ds",
                    env=env,
                ),
                run_cli("model", "promote", "m1", "--force", "--reason", "r", env=env),
            ]
            for proc in runs:
                assert proc.returncode == 2, (proc.stdout[-1000:], proc.stderr[-2000:])
                line = _one_line(proc.stderr)
                assert any(m in line for m in ("permission denied", "nothing was written", "unknown model")), line
            with engine.connect() as conn:
                assert conn.execute(sa.text("SELECT COUNT(*) FROM trainguard_validations")).scalar_one() == 0
                assert len(_trips(engine)) == 2
                total = conn.execute(sa.text("SELECT COUNT(*) FROM trips WHERE ds = '2026-09-01'")).scalar_one()
                assert total > 1  # the load did not replace the day with its one row
            engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


# --- credentials -----------------------------------------------------------------------------

SECRET = "s3cr3t"


def test_an_unparseable_warehouse_url_is_not_echoed(tmp_path):
    _, env = make_project(tmp_path, f"postgresql+psycopg2://postgres:{SECRET}@127.0.0.1:notaport/db")
    for args in (["checkpoint", "run", "trips_daily", "--date", "2026-09-01"], ["model", "list"]):
        proc = run_cli(*args, env=env)
        assert proc.returncode == 2
        assert "invalid warehouse URL" in _one_line(proc.stderr)
        assert SECRET not in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["checkpoint", "run", "trips_daily", "--date", "2026-09-01"],
        ["model", "list"],
        ["demo", "seed", "--start", "2026-09-01", "--end", "2026-09-01"],
        ["docs", "build"],
    ],
)
def test_an_unreachable_warehouse_never_shows_its_password(tmp_path, args):
    _, env = make_project(tmp_path, f"postgresql+psycopg2://postgres:{SECRET}@127.0.0.1:1/none")
    proc = run_cli(*args, env=env)
    assert proc.returncode == 2, (proc.stdout[-1000:], proc.stderr[-2000:])
    _one_line(proc.stderr)
    assert SECRET not in proc.stdout + proc.stderr


@pytest.mark.postgres
def test_the_password_appears_in_no_output_data_docs_or_project_file(tmp_path, monkeypatch):
    """A real run against a URL with a password (the local server trusts the connection, so the
    password is accepted and ignored): no command output, Data Docs page, GX file or log holds
    it. ``airflow env`` is the one exception, by decision: it prints exports meant to be
    evaluated (``eval "$(trainguard airflow env)"``), and a connection without its password
    would not work."""
    from training.demo.seed import seed_demo

    monkeypatch.delenv("AIRFLOW_CONN_TRAINGUARD_WAREHOUSE")  # the session's own; derive it here
    with postgres_database() as url:
        secret_url = url.replace("postgres@", f"postgres:{SECRET}@")
        settings, env = make_project(tmp_path, secret_url)
        engine = sa.create_engine(secret_url)
        seed_demo(engine, dt.date(2026, 9, 1), dt.date(2026, 9, 2))
        engine.dispose()
        outputs = [
            run_cli("checkpoint", "list", env=env),
            run_cli(
                "checkpoint", "run", "trips_daily", "--from", "2026-09-01", "--to", "2026-09-03", "--json", env=env
            ),
            run_cli("checkpoint", "run", "trips_daily", "--date", "2026-09-02", env=env),
            run_cli("model", "list", env=env),
            run_cli("model", "train", "--date", "2026-09-02", env=env),  # too few days: a clear error
            run_cli("docs", "build", env=env),
        ]
        assert [p.returncode for p in outputs] == [0, 1, 0, 0, 2, 0], [p.stderr[-500:] for p in outputs]
        for proc in outputs:
            assert SECRET not in proc.stdout + proc.stderr
        site = settings.data_docs_dir
        assert any(site.rglob("*.html"))
        leaks = [
            str(p)
            for folder in (settings.gx_root, settings.var_dir)
            for p in folder.rglob("*")
            if p.is_file() and SECRET.encode() in p.read_bytes()
        ]
        assert leaks == []

        exports = run_cli("airflow", "env", env=env)
        assert exports.returncode == 0
        holding = [line for line in exports.stdout.splitlines() if SECRET in line]
        assert len(holding) == 1 and holding[0].startswith("export AIRFLOW_CONN_TRAINGUARD_WAREHOUSE=")
        assert json.loads(holding[0].split("=", 1)[1].strip("'"))["password"] == SECRET


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("TRAINGUARD_TRAIN_WINDOW_DAYS", "-3", "must be at least 1"),
        ("TRAINGUARD_TRAIN_WINDOW_DAYS", "seven", "must be an integer"),
        ("TRAINGUARD_DOCS_PORT", "70000", "must be between 1 and 65535"),
        ("TRAINGUARD_VAR_DIR", "{file}/var", "is a file, not a folder"),
        ("TRAINGUARD_GX_SPEEDUPS", "maybe", "must be on or off"),
    ],
)
def test_a_bad_setting_is_named_in_one_line_when_read(tmp_path, setting, value, message):
    (tmp_path / "file").write_text("")
    _, env = make_project(tmp_path)
    done = run_cli("checkpoint", "list", env={**env, setting: value.format(file=tmp_path / "file")})
    assert done.returncode == 2
    line = _one_line(done.stderr)
    assert setting in line and message in line, line
