"""Bad input and faults, round three: odd identifiers, extreme values, files that are not
tables, hand-edited suites and checkpoints, every ``TRAINGUARD_*`` setting with a bad value and
SIGKILLs at seeded random moments of every writing command.

Each refused case checks the documented exit code (2: usage, configuration, environment or bad
input), exactly one line on stderr, no traceback, and that the warehouse (schema and rows), the
GX project files and the model store are byte for byte as they were. Each killed command must
leave the old state or the new one, never a mix, and its next run must succeed."""

from __future__ import annotations

import datetime as dt
import hashlib
import html.parser
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import make_project
from training.cli.main import main

DAYS = ("2026-09-01", "2026-09-02", "2026-09-03")
GX_FILES = ("great_expectations.yml", "expectations", "checkpoints", "validation_definitions")


# --- helpers ----------------------------------------------------------------------------------


def _one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr[-3000:]
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr[-3000:]
    return lines[0]


def _files(folder: Path, tops: tuple[str, ...] | None = None) -> dict[str, str]:
    """Hashes of the files (and symlink targets) below ``folder``, or below its ``tops``."""
    out: dict[str, str] = {}
    roots = [folder / top for top in tops] if tops else [folder]
    for root in roots:
        for path in sorted([root, *root.rglob("*")] if root.is_dir() else [root]):
            key = str(path.relative_to(folder))
            if path.is_symlink():
                out[key] = "-> " + os.readlink(path)
            elif path.is_file():
                out[key] = hashlib.sha256(path.read_bytes()).hexdigest()
            elif path.is_dir():
                out[key] = "dir"
    return out


def _warehouse(engine: sa.Engine) -> dict:
    """Schema (as SQLite states it) and every table's rows, in a fixed order."""
    with engine.connect() as conn:
        schema = conn.execute(sa.text("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name")).all()
        tables = [name for kind, name, _, _ in schema if kind == "table"]
        rows = {t: sorted(map(repr, conn.execute(sa.text(f'SELECT * FROM "{t}"')))) for t in tables}
    return {"schema": schema, "rows": rows}


class Project:
    """A private SQLite project made the process's settings for in-process ``main()`` calls."""

    def __init__(self, base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        from training.core.settings import get_settings

        self.base = base
        self.settings, self.env = make_project(base)
        self.env["TRAINGUARD_MODEL_STORE"] = str(base / "models")
        (base / "models").mkdir()
        (base / "models" / "m1").mkdir()
        (base / "models" / "m1" / "meta.json").write_text('{"model_id": "m1"}')
        for key, value in self.env.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        self.engine = sa.create_engine(self.settings.warehouse_url)

    @property
    def gx(self) -> Path:
        return self.settings.gx_root

    def state(self) -> tuple:
        return _warehouse(self.engine), _files(self.gx, GX_FILES), _files(self.base / "models")

    def run(self, capsys, *argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse
            code = exc.code
        out, err = capsys.readouterr()
        return code, out, err

    def refused(self, capsys, *argv: str, names: str = "", code: int = 2) -> str:
        """Run ``argv``: exit ``code``, one line naming ``names``, nothing changed."""
        before = self.state()
        got, out, err = self.run(capsys, *argv)
        assert got == code, (out[-2000:], err[-2000:])
        line = _one_line(err)
        assert names in line, line
        assert self.state() == before
        return line

    def ok(self, capsys, *argv: str, code: int = 0) -> str:
        got, out, err = self.run(capsys, *argv)
        assert got == code, (out[-3000:], err[-3000:])
        assert "Traceback" not in err
        return out


@pytest.fixture
def project(tmp_path, monkeypatch):
    from training.core.settings import get_settings
    from training.warehouse.engine import get_engine

    proj = Project(tmp_path, monkeypatch)
    yield proj
    proj.engine.dispose()
    get_engine(proj.settings.warehouse_url).dispose()
    get_settings.cache_clear()


def _csv(path: Path, header: list[str], rows: list[list]) -> Path:
    path.write_text("\n".join([",".join(header), *(",".join(map(str, r)) for r in rows)]) + "\n")
    return path


def _days(header: list[str], date_column: str, per_day: int = 12) -> list[list]:
    """Rows for three days: the date column, then one varying number per other column."""
    rows = []
    for d, day in enumerate(DAYS):
        for i in range(per_day):
            rows.append([day if name == date_column else (i * 7 + d) % 13 + 0.5 * j for j, name in enumerate(header)])
    return rows


# --- 1. odd identifiers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "date_column", "columns"),
    [
        ("order", "select", ["group", "from", "where"]),  # SQL keywords are plain identifiers
        ("t" * 63, "d" * 63, ["c" * 63]),  # the longest name PostgreSQL keeps whole
        ("_x1", "_ds", ["_", "__a"]),
    ],
    ids=["sql-keywords", "63-characters", "underscores"],
)
def test_plain_identifiers_load_scaffold_and_pass(project, capsys, table, date_column, columns):
    path = _csv(project.base / "odd.csv", [date_column, *columns], _days([date_column, *columns], date_column))
    project.ok(capsys, "data", "load", "--table", table, "--file", str(path), "--date-column", date_column)
    name = "odd_" + table[:20]
    reference = f"{DAYS[0]}:{DAYS[2]}"
    project.ok(
        capsys, "suite", "scaffold", "--table", table, "--date-column", date_column, "--reference", reference,
        "--name", name,
    )  # fmt: skip
    project.ok(capsys, "checkpoint", "run", name, "--date", DAYS[1])


@pytest.mark.parametrize(
    ("header", "names"),
    [
        (["day", 'a"b'], "invalid column name 'a\"b'"),
        (["day", "a'b"], "invalid column name"),
        (["day", "café"], "invalid column name 'café'"),
        (["day", "x" * 64], "invalid column name"),
        (["day", "1st"], "invalid column name '1st'"),
        (["day", "amount", "Amount"], "differ only in case"),
        (["day", "amount", "amount"], "duplicate column name 'amount'"),
        (["day", "day"], "duplicate column name 'day'"),
        (["day", ""], "empty column name"),
    ],
    ids=["double-quote", "single-quote", "unicode", "64-chars", "digit-first", "case-only", "duplicate", "dup-date",
         "empty-name"],
)  # fmt: skip
def test_odd_column_names_are_refused_before_anything_is_written(project, capsys, header, names):
    _csv(project.base / "sales.csv", ["day", "amount"], [["2026-09-01", 1]])
    seed = str(project.base / "sales.csv")
    project.ok(capsys, "data", "load", "--table", "sales", "--file", seed, "--date-column", "day")
    path = project.base / "odd.csv"
    path.write_text(",".join(header) + "\n" + ",".join(["2026-09-01", *["1"] * (len(header) - 1)]) + "\n")
    project.refused(
        capsys, "data", "load", "--table", "sales", "--file", str(path), "--date-column", "day", names=names
    )


@pytest.mark.parametrize(
    "table",
    ['sa"les', "sa'les", "sales table", "ventes_é", "x" * 64, "", "sqlite_master", "1sales"],
    ids=["double-quote", "single-quote", "space", "unicode", "64-chars", "empty", "sqlite-internal", "digit-first"],
)
@pytest.mark.parametrize("command", ["load", "scaffold", "run"])
def test_odd_table_names_are_one_line_on_every_command(project, capsys, table, command):
    path = _csv(project.base / "sales.csv", ["day", "amount"], [["2026-09-01", 1]])
    project.ok(capsys, "data", "load", "--table", "sales", "--file", str(path), "--date-column", "day")
    argv = {
        "load": ["data", "load", "--table", table, "--file", str(path), "--date-column", "day"],
        "scaffold": ["suite", "scaffold", "--table", table, "--date-column", "day", "--reference",
                     "2026-09-01:2026-09-02", "--name", "s"],
        "run": ["checkpoint", "run", table, "--date", "2026-09-01"],
    }[command]  # fmt: skip
    expected = "unknown checkpoint" if command == "run" else "invalid table name"
    if table == "sqlite_master" and command != "run":
        expected = "sqlite_master"
    project.refused(capsys, *argv, names=expected)


def test_a_table_name_differing_only_in_case_is_the_same_table(project, capsys):
    """SQLite (and unquoted PostgreSQL) names ignore case: ``Sales`` must replace days of
    ``sales``, not fail, nor make a second table that a suite on ``sales`` never sees."""
    path = _csv(project.base / "a.csv", ["day", "amount"], [["2026-09-01", 1], ["2026-09-02", 2]])
    project.ok(capsys, "data", "load", "--table", "sales", "--file", str(path), "--date-column", "day")
    more = _csv(project.base / "b.csv", ["day", "amount"], [["2026-09-02", 5], ["2026-09-02", 6]])
    project.ok(capsys, "data", "load", "--table", "Sales", "--file", str(more), "--date-column", "day")
    with project.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT day, amount FROM sales ORDER BY day, amount")).all()
    assert rows == [("2026-09-01", 1), ("2026-09-02", 5), ("2026-09-02", 6)]
    assert [t for t in sa.inspect(project.engine).get_table_names() if t.lower() == "sales"] == ["sales"]


# --- 2. extreme and non-finite values -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("9223372036854775807", 9223372036854775807),
        ("-9223372036854775808", -9223372036854775808),
        ("1e308", 1e308),
        ("-1e308", -1e308),
        ("4.9e-324", 5e-324),
        ("-0.0", -0.0),
        ("inf", float("inf")),
        ("-inf", float("-inf")),
        ("nan", None),
        ("NaN", None),
    ],
)
def test_extreme_values_round_trip_exactly(project, capsys, text, stored):
    path = _csv(project.base / "x.csv", ["day", "v"], [["2026-09-01", text], ["2026-09-02", text]])
    project.ok(capsys, "data", "load", "--table", "x", "--file", str(path), "--date-column", "day")
    with project.engine.connect() as conn:
        values = conn.execute(sa.text("SELECT v FROM x ORDER BY day")).scalars().all()
    # Equal as numbers; SQLite itself stores -0.0 as 0 (an integral REAL is kept as an integer).
    assert values == [stored, stored]


def test_an_int_column_above_int64_is_refused_in_a_later_day(project, capsys):
    path = _csv(project.base / "a.csv", ["day", "v"], [["2026-09-01", 1]])
    project.ok(capsys, "data", "load", "--table", "x", "--file", str(path), "--date-column", "day")
    big = _csv(project.base / "b.csv", ["day", "v"], [["2026-09-02", "-9223372036854775809"]])
    project.refused(
        capsys, "data", "load", "--table", "x", "--file", str(big), "--date-column", "day", names="64-bit integer range"
    )


@pytest.mark.parametrize(
    ("first", "later", "stored"),
    [
        ("1.5", "lots", "lots"),  # float column, a text day
        ("1", "lots", "lots"),  # integer column, a text day
        ("1", "2.5", 2.5),  # a fraction in an integer column is kept, not rounded
        ("true", "lots", "lots"),
    ],
    ids=["float-then-text", "int-then-text", "int-then-fraction", "bool-then-text"],
)
def test_a_column_that_changes_type_in_a_later_day_reaches_the_gate_unchanged(project, capsys, first, later, stored):
    """Decision: on SQLite a day whose column changed type is stored as given (type affinity),
    so that the checkpoint's schema checks fail it as type skew (exit 1, recorded): that is the
    gate's job (tests/scaffold/test_skew_detection.py injects such days). Nothing is rounded or
    coerced. (PostgreSQL would round 2.5 into a BIGINT: there the load refuses it,
    tests/warehouse/test_load_faults.py.)"""
    day1 = _csv(project.base / "a.csv", ["day", "v"], [["2026-09-01", first], ["2026-09-01", first]])
    project.ok(capsys, "data", "load", "--table", "x", "--file", str(day1), "--date-column", "day")
    day2 = _csv(project.base / "b.csv", ["day", "v"], [["2026-09-02", later], ["2026-09-02", later]])
    project.ok(capsys, "data", "load", "--table", "x", "--file", str(day2), "--date-column", "day")
    with project.engine.connect() as conn:
        values = conn.execute(sa.text("SELECT v FROM x WHERE day = '2026-09-02'")).scalars().all()
    assert values == [stored, stored]


def test_a_text_column_takes_numbers_in_a_later_day(project, capsys):
    day1 = _csv(project.base / "a.csv", ["day", "v"], [["2026-09-01", "red"]])
    project.ok(capsys, "data", "load", "--table", "x", "--file", str(day1), "--date-column", "day")
    day2 = _csv(project.base / "b.csv", ["day", "v"], [["2026-09-02", 3]])
    project.ok(capsys, "data", "load", "--table", "x", "--file", str(day2), "--date-column", "day")


# --- 3. files that are not tables ---------------------------------------------------------


def _bad_file(base: Path, kind: str) -> Path:
    if kind == "xlsx":
        (base / "sales.xlsx").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
        return base / "sales.xlsx"
    if kind == "binary-csv":
        (base / "sales.csv").write_bytes(bytes(random.Random(7).randrange(256) for _ in range(4096)))
        return base / "sales.csv"
    if kind == "nul-csv":
        (base / "sales.csv").write_bytes(b"day,amount\n2026-09-01,\x00\x00\x01\n")
        return base / "sales.csv"
    if kind == "directory":
        (base / "folder.csv").mkdir()
        return base / "folder.csv"
    if kind == "ragged":
        (base / "sales.csv").write_text("day,amount\n2026-09-01,1\n2026-09-02,2,3,4\n")
        return base / "sales.csv"
    if kind == "csv-as-parquet":
        (base / "sales.parquet").write_text("day,amount\n2026-09-01,1\n")
        return base / "sales.parquet"
    if kind == "whitespace-only":
        (base / "sales.csv").write_text("\n\n   \n")
        return base / "sales.csv"
    if kind == "no-suffix":
        (base / "sales").write_text("day,amount\n2026-09-01,1\n")
        return base / "sales"
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "names"),
    [
        ("xlsx", "unsupported file type '.xlsx'"),
        ("binary-csv", "cannot read sales.csv"),
        ("nul-csv", "cannot read sales.csv"),
        ("directory", "is a folder, not a file"),
        ("ragged", "cannot read sales.csv"),
        ("csv-as-parquet", "cannot read sales.parquet"),
        ("whitespace-only", "cannot read sales.csv"),
        ("no-suffix", "unsupported file type '(none)'"),
    ],
)
def test_files_that_are_not_tables_are_refused(project, capsys, kind, names):
    seed = _csv(project.base / "seed.csv", ["day", "amount"], [["2026-09-01", 7]])
    project.ok(capsys, "data", "load", "--table", "sales", "--file", str(seed), "--date-column", "day")
    path = _bad_file(project.base, kind)
    project.refused(
        capsys, "data", "load", "--table", "sales", "--file", str(path), "--date-column", "day", names=names
    )


# --- 4. hand-edited suites, definitions, checkpoints and project config --------------------


@pytest.fixture
def trips(project):
    from training.demo.seed import seed_demo
    from training.warehouse.tables import ensure_tables

    seed_demo(project.engine, dt.date(2026, 9, 1), dt.date(2026, 9, 3))
    ensure_tables(project.engine)
    return project


def _json_edit(file: str, edit):
    def apply(root: Path) -> None:
        path = root / file
        data = json.loads(path.read_text())
        result = edit(data)
        path.write_text(json.dumps(data if result is None else result, indent=2))

    return apply


def _truncate(file: str):
    def apply(root: Path) -> None:
        path = root / file
        path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])

    return apply


def _write(file: str, text: str):
    def apply(root: Path) -> None:
        (root / file).write_text(text)

    return apply


def _kwargs(kind: str, **changes):
    def edit(suite: dict) -> None:
        expectation = next(e for e in suite["expectations"] if e["type"] == kind)
        expectation["kwargs"].update(changes)

    return edit


SUITE = "expectations/trips_daily.json"
DEFINITION = "validation_definitions/trips_daily.json"
CHECKPOINT = "checkpoints/trips_daily.json"

EDITS = {
    "suite-truncated": (_truncate(SUITE), "trips_daily"),
    "suite-empty": (_write(SUITE, ""), "trips_daily"),
    "suite-not-an-object": (_write(SUITE, "[]"), "trips_daily"),
    "suite-expectations-not-a-list": (_json_edit(SUITE, lambda s: s.update(expectations={"a": 1})), "trips_daily"),
    "suite-column-is-a-number": (_json_edit(SUITE, _kwargs("expect_column_mean_to_be_between", column=5)), "column"),
    "suite-bound-is-a-list": (
        _json_edit(SUITE, _kwargs("expect_column_mean_to_be_between", max_value=[1, 2])),
        "max_value",
    ),
    "suite-unknown-type": (
        _json_edit(SUITE, lambda s: s["expectations"].append({"type": "expect_the_moon", "kwargs": {}})),
        "expect_the_moon",
    ),
    "suite-expectation-without-type": (
        _json_edit(SUITE, lambda s: s["expectations"].append({"kwargs": {"column": "ds"}})),
        "trips_daily",
    ),
    "definition-truncated": (_truncate(DEFINITION), "trips_daily"),
    "definition-missing-suite": (
        _json_edit(DEFINITION, lambda d: d["suite"].update(name="no_such_suite", id=None)),
        "no_such_suite",
    ),
    "definition-missing-datasource": (
        _json_edit(DEFINITION, lambda d: d["data"]["datasource"].update(name="nowhere", id=None)),
        "nowhere",
    ),
    "definition-missing-asset": (
        _json_edit(DEFINITION, lambda d: d["data"]["asset"].update(name="no_asset", id=None)),
        "no_asset",
    ),
    "checkpoint-truncated": (_truncate(CHECKPOINT), "trips_daily"),
    "checkpoint-not-json": (_write(CHECKPOINT, "name: trips_daily\n"), "trips_daily"),
    "checkpoint-missing-definition": (
        _json_edit(CHECKPOINT, lambda c: c["validation_definitions"][0].update(name="no_such_def", id=None)),
        "no_such_def",
    ),
    "checkpoint-unknown-action": (
        _json_edit(CHECKPOINT, lambda c: c["actions"].append({"name": "x", "type": "launch_rockets"})),
        "launch_rockets",
    ),
    "checkpoint-actions-not-a-list": (_json_edit(CHECKPOINT, lambda c: c.update(actions="all")), "actions"),
    "checkpoint-no-definitions": (_json_edit(CHECKPOINT, lambda c: c.update(validation_definitions=[])), "trips_daily"),
    "config-truncated": (_truncate("great_expectations.yml"), "great_expectations.yml"),
    "config-not-yaml": (_write("great_expectations.yml", "stores: [\n  : :\n"), "great_expectations.yml"),
}


def test_a_suite_naming_a_column_the_table_lacks_is_a_failed_validation(trips, capsys):
    """Decision: like the demo's ``drop_column`` skew, a column the suite checks but the day
    lacks is the data's fault (exit 1, recorded), not a configuration error."""
    _json_edit(SUITE, _kwargs("expect_column_mean_to_be_between", column="no_such_column"))(trips.gx)
    files = _files(trips.gx, GX_FILES)
    out = trips.ok(capsys, "checkpoint", "run", "trips_daily", "--date", DAYS[1], code=1)
    assert "no_such_column" in out and "FAILED" in out
    assert _files(trips.gx, GX_FILES) == files


@pytest.mark.parametrize("edit", list(EDITS))
def test_hand_edited_project_files_are_one_line_and_nothing_changes(trips, capsys, edit):
    apply, names = EDITS[edit]
    apply(trips.gx)
    trips.refused(capsys, "checkpoint", "run", "trips_daily", "--date", DAYS[1], names=names)


# --- 5. every TRAINGUARD_* setting with a bad value ----------------------------------------

SETTINGS = [
    ("TRAINGUARD_HOME", "{file}"),
    ("TRAINGUARD_WAREHOUSE_URL", "not a url"),  # checked when an engine is made
    ("TRAINGUARD_WAREHOUSE_URL", "nosuchdialect://x/y"),
    ("TRAINGUARD_GX_ROOT", "{file}"),
    ("TRAINGUARD_GX_ROOT", "{missing}"),
    ("TRAINGUARD_MODEL_STORE", "{file}/models"),
    ("TRAINGUARD_VAR_DIR", "{file}"),
    ("TRAINGUARD_AIRFLOW_HOME", "{file}"),
    ("TRAINGUARD_TRAIN_WINDOW_DAYS", "0"),
    ("TRAINGUARD_TRAIN_WINDOW_DAYS", "1.5"),
    ("TRAINGUARD_TRAIN_WINDOW_DAYS", "99999999999999999999999"),
    ("TRAINGUARD_PIPELINES_DIR", "{file}"),
    ("TRAINGUARD_DOCS_HOST", "local host"),
    ("TRAINGUARD_DOCS_HOST", "127.0.0.1:8765"),
    ("TRAINGUARD_DOCS_PORT", "0"),
    ("TRAINGUARD_DOCS_PORT", "http"),
    ("TRAINGUARD_DOCS_PORT", "-1"),
    ("TRAINGUARD_AIRFLOW_CONN_ID", "my conn"),
    ("TRAINGUARD_AIRFLOW_CONN_ID", "conn;rm"),
    ("TRAINGUARD_AIRFLOW_QUEUE", "my queue"),
    ("TRAINGUARD_POSTGRES_OPTIONS", "jit=off"),
    ("TRAINGUARD_POSTGRES_OPTIONS", "-c"),
    ("TRAINGUARD_GX_SPEEDUPS", "2"),
    ("TRAINGUARD_GX_SPEEDUPS", "offf"),
]


@pytest.mark.parametrize(("setting", "value"), SETTINGS, ids=[f"{s[11:]}={v}" for s, v in SETTINGS])
@pytest.mark.parametrize(
    "argv",
    [["checkpoint", "list"], ["checkpoint", "run", "trips_daily", "--date", DAYS[0]], ["model", "list"]],
    ids=["checkpoint-list", "checkpoint-run", "model-list"],
)
def test_every_bad_setting_is_exit_2_naming_it(project, capsys, monkeypatch, setting, value, argv):
    from training.core.settings import get_settings

    if setting == "TRAINGUARD_WAREHOUSE_URL" and argv == ["checkpoint", "list"]:
        argv = ["docs", "build"]  # listing never connects: the URL is checked where an engine is made
    (project.base / "file").write_text("")
    value = value.format(file=project.base / "file", missing=project.base / "missing")
    monkeypatch.setenv(setting, value)
    get_settings.cache_clear()
    line = project.refused(capsys, *argv, names=setting)
    assert line.startswith("error: ")


# --- 6. SIGKILL at seeded random moments --------------------------------------------------


def _start(env: dict[str, str], *argv: str) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("trainguard")
    return subprocess.Popen(
        [str(exe), *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def _kill_after(proc: subprocess.Popen, delay: float) -> bool:
    """SIGKILL ``proc`` after ``delay`` seconds; True if it was still running."""
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        return True
    proc.communicate(timeout=30)
    return False


def _finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out, err


def _valid_json_files(root: Path) -> dict[str, bytes]:
    found = {}
    for top in ("expectations", "checkpoints", "validation_definitions"):
        for path in sorted((root / top).glob("*.json")):
            data = path.read_bytes()
            json.loads(data)  # never truncated
            found[str(path.relative_to(root))] = data
    return found


class _Html(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


def _site_complete(site: Path) -> None:
    index = site / "index.html"
    assert index.is_file(), f"{site} has no index.html"
    parser = _Html()
    parser.feed(index.read_text())
    parser.close()
    assert "html" in parser.tags and "body" in parser.tags


@pytest.fixture
def kill_project(tmp_path, monkeypatch):
    """A subprocess project: four demo days, their outcomes recorded, a site built."""
    from training.demo.seed import seed_demo

    project = Project(tmp_path, monkeypatch)
    seed_demo(project.engine, dt.date(2026, 9, 1), dt.date(2026, 9, 4))
    yield project
    project.engine.dispose()


def _big_csv(path: Path, value: int, rows_per_day: int) -> Path:
    with path.open("w") as handle:
        handle.write("day,a,b,c,label\n")
        for day in ("2026-09-01", "2026-09-02"):
            line = f"{day},{value},{value}.5,{value * 3},x{value}\n"
            handle.write(line * rows_per_day)
    return path


def _day_states(engine: sa.Engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT day, a, b, c, label, COUNT(*) FROM big GROUP BY day, a, b, c, label ORDER BY day, a")
        ).all()


@pytest.mark.parametrize("seed", [1])
def test_sigkill_during_data_load_leaves_old_or_new_days(kill_project, seed):
    proj = kill_project
    old = _big_csv(proj.base / "old.csv", 1, 1000)
    assert (
        _finish(_start(proj.env, "data", "load", "--table", "big", "--file", str(old), "--date-column", "day"))[0] == 0
    )
    new = _big_csv(proj.base / "new.csv", 2, 60000)
    before = _day_states(proj.engine)
    argv = ("data", "load", "--table", "big", "--file", str(new), "--date-column", "day")
    killed = _kill_after(_start(proj.env, *argv), random.Random(seed).uniform(0.5, 3.5))
    after = _day_states(proj.engine)
    complete_new = [("2026-09-01", 2, 2.5, 6, "x2", 60000), ("2026-09-02", 2, 2.5, 6, "x2", 60000)]
    assert after in (before, complete_new), (killed, after)
    code, _out, err = _finish(_start(proj.env, *argv))
    assert code == 0, err[-2000:]
    assert _day_states(proj.engine) == complete_new


def _validations(engine: sa.Engine) -> dict[str, tuple]:
    """Per recorded day: validations and observations (whole, or absent)."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("trainguard_validations"):
            return {}
        rows = conn.execute(
            sa.text("SELECT batch_value, COUNT(*), SUM(evaluated) FROM trainguard_validations GROUP BY batch_value")
        ).all()
        observed = dict(
            conn.execute(
                sa.text("SELECT batch_value, COUNT(*) FROM trainguard_observations GROUP BY batch_value")
            ).all()
        )
    return {day: (count, evaluated, observed.get(day, 0)) for day, count, evaluated in rows}


@pytest.mark.parametrize("seed", [11])
def test_sigkill_during_a_backfill_leaves_whole_days_and_intact_files(kill_project, seed):
    proj = kill_project
    argv = ("checkpoint", "run", "trips_daily", "--from", "2026-09-01", "--to", "2026-09-04")
    files = _valid_json_files(proj.gx)
    _kill_after(_start(proj.env, *argv), random.Random(seed).uniform(2.0, 9.0))
    assert _valid_json_files(proj.gx) == files
    killed = _validations(proj.engine)
    code, out, err = _finish(_start(proj.env, *argv))
    assert code == 0, (out[-2000:], err[-2000:])
    assert _valid_json_files(proj.gx) == files
    full = _validations(proj.engine)
    assert set(full) == {"2026-09-01", "2026-09-02", "2026-09-03", "2026-09-04"}
    for day, (count, evaluated, observed) in killed.items():
        # A day recorded before the kill is whole: the same rows as one recorded by the rerun.
        assert (evaluated / count, observed / count) == (full[day][1] / full[day][0], full[day][2] / full[day][0])
    _site_complete(proj.settings.data_docs_dir)


def _suite_files(root: Path, name: str) -> dict[str, bytes]:
    files = _valid_json_files(root)
    return {k: v for k, v in files.items() if Path(k).stem == name}


@pytest.mark.parametrize("seed", [21])
def test_sigkill_during_scaffold_force_leaves_old_or_new_suite(kill_project, capsys, seed):
    proj = kill_project
    base = ("suite", "scaffold", "--table", "trips", "--date-column", "ds", "--reference", "2026-09-01:2026-09-03")
    proj.ok(capsys, *base, "--name", "kill_suite", "--strictness", "loose")
    old = _suite_files(proj.gx, "kill_suite")
    assert len(old) == 3
    argv = (*base, "--name", "kill_suite", "--strictness", "strict", "--force")
    _kill_after(_start(proj.env, *argv), random.Random(seed).uniform(2.5, 6.0))
    mid = _suite_files(proj.gx, "kill_suite")  # every file parses (checked inside)
    code, out, err = _finish(_start(proj.env, *argv))
    assert code == 0, (out[-2000:], err[-2000:])
    new = _suite_files(proj.gx, "kill_suite")
    # Suite, validation definition and checkpoint all still there, each the old or the new one
    # (a new one's expectation ids are fresh uuids, so compared without them).
    assert set(mid) == set(old) == set(new)
    for key, data in mid.items():
        assert data == old[key] or _without_ids(json.loads(data)) == _without_ids(json.loads(new[key])), key


def _without_ids(value):
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k != "id"}
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value


@pytest.mark.parametrize("seed", [31])
def test_sigkill_during_docs_build_leaves_a_complete_site(kill_project, capsys, seed):
    proj = kill_project
    proj.ok(capsys, "checkpoint", "run", "trips_daily", "--date", "2026-09-02")
    proj.ok(capsys, "docs", "build")
    site = proj.settings.data_docs_dir
    _site_complete(site)
    _kill_after(_start(proj.env, "docs", "build"), random.Random(seed).uniform(2.0, 5.0))
    _site_complete(site)
    code, _out, err = _finish(_start(proj.env, "docs", "build"))
    assert code == 0, err[-2000:]
    _site_complete(site)
