"""Bad input and faults, round two: a read-only or full GX folder, hand-edited suites GX
refuses, a mistyped SQLite warehouse path and malformed Data Docs requests. Each is caused for
real (a read-only mount, a full tmpfs, an edited file, a served socket) and must be exit 2 with
one line on stderr, leaving the GX folder and the warehouse as they were."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import os
import shutil
import stat
import subprocess
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import folder_digest, make_project, one_line
from training.cli.main import main

DAYS = ("2026-09-01", "2026-09-02")


_one_line, _digest = one_line, folder_digest


def _tables(engine: sa.Engine) -> dict[str, list[tuple]]:
    inspector = sa.inspect(engine)
    with engine.connect() as conn:
        return {
            name: sorted(map(tuple, conn.execute(sa.text(f'SELECT * FROM "{name}"')).all()), key=repr)
            for name in inspector.get_table_names()
        }


def _use(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    from training.core.settings import get_settings

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A private SQLite project with two demo days and trainguard's tables, made the process's
    settings for in-process ``main()`` calls: (settings, engine, env)."""
    from training.core.settings import get_settings
    from training.demo.seed import seed_demo
    from training.warehouse.tables import ensure_tables

    settings, env = make_project(tmp_path)
    engine = sa.create_engine(settings.warehouse_url)
    seed_demo(engine, dt.date.fromisoformat(DAYS[0]), dt.date.fromisoformat(DAYS[1]))
    ensure_tables(engine)
    _use(monkeypatch, env)
    yield settings, engine, env
    engine.dispose()
    get_settings.cache_clear()


def _can_mount() -> str | None:
    """None when this process may mount file systems, else why not."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return "mounting needs root and the mount command"
    return None


def _mount(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


@contextlib.contextmanager
def read_only(folder: Path):
    """``folder`` made read-only for real: permissions for a normal user; as root (whom
    permissions do not stop) a bind mount of it remounted read-only."""
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [folder, *folder.rglob("*")] if p.is_dir()}
        for path in modes:
            path.chmod(stat.S_IMODE(modes[path]) & ~0o222)
        try:
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(stat.S_IMODE(mode))
        return
    if _can_mount() is not None or _mount("--bind", str(folder), str(folder)).returncode != 0:
        pytest.skip("running as root (chmod does not stop root) and a read-only bind mount is not possible here")
    try:
        done = _mount("-o", "remount,bind,ro", str(folder))
        if done.returncode != 0:
            pytest.skip(f"cannot remount a bind mount read-only: {done.stderr.strip()}")
        try:
            (folder / ".probe").write_text("")
        except OSError:
            pass
        else:
            pytest.skip("a read-only bind mount still accepts writes here")
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=False)


@contextlib.contextmanager
def full_filesystem(mount_point: Path, size: str = "4m"):
    """A small tmpfs at ``mount_point``; ``fill()`` writes a filler file until it is full."""
    reason = _can_mount()
    if reason:
        pytest.skip(f"a full file system needs a tmpfs mount: {reason}")
    mount_point.mkdir(parents=True, exist_ok=True)
    done = _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point))
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


def _fill(folder: Path) -> None:
    with open(folder / "filler", "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass
    # Page-sized leftovers: fill them byte-wise so that the next write fails at once.
    with open(folder / "filler-tail", "wb", buffering=0) as handle:
        with contextlib.suppress(OSError):
            while handle.write(b"\0" * 512):
                pass
    with pytest.raises(OSError):
        with open(folder / "probe", "wb") as handle:
            handle.write(b"\0" * 4096)
    (folder / "probe").unlink(missing_ok=True)


_CHECKPOINT = ["checkpoint", "run", "trips_daily", "--date", DAYS[1]]


def _scaffold(name: str, *more: str) -> list[str]:
    reference = f"{DAYS[0]}:{DAYS[1]}"
    return [
        "suite",
        "scaffold",
        "--table",
        "trips",
        "--date-column",
        "ds",
        "--reference",
        reference,
        "--name",
        name,
        *more,
    ]


def _expect_refused(argv, settings, engine, capsys, *, names: str) -> str:
    gx_before, tables_before = _digest(settings.gx_root), _tables(engine)
    capsys.readouterr()
    assert main(argv) == 2
    line = _one_line(capsys.readouterr().err)
    assert names in line, line
    assert _digest(settings.gx_root) == gx_before
    assert _tables(engine) == tables_before
    return line


# --- A: a GX folder that refuses writes ------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "names"),
    [(_CHECKPOINT, "in the GX folder"), (_scaffold("fresh"), "expectations/fresh.json")],
    ids=["checkpoint-run", "suite-scaffold"],
)
def test_a_read_only_gx_folder_is_one_line_and_nothing_changes(project, capsys, argv, names):
    settings, engine, _ = project
    with read_only(settings.gx_root):
        line = _expect_refused(argv, settings, engine, capsys, names=names)
    assert str(settings.gx_root) in line and ("Read-only file system" in line or "Permission denied" in line)


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (_CHECKPOINT, "in the GX folder"),
        (_scaffold("fresh"), "expectations/fresh.json"),
        # --force first backs up and deletes the old suite: a full disk must not lose it.
        (_scaffold("trips_daily", "--force"), "expectations/trips_daily.json"),
    ],
    ids=["checkpoint-run", "suite-scaffold", "suite-scaffold-force"],
)
def test_a_full_gx_folder_is_one_line_and_nothing_changes(project, tmp_path, monkeypatch, capsys, argv, names):
    settings, engine, env = project
    disk = tmp_path / "disk"
    with full_filesystem(disk):
        gx_root = disk / "great_expectations"
        shutil.copytree(settings.gx_root, gx_root, symlinks=True)
        _use(monkeypatch, {**env, "TRAINGUARD_GX_ROOT": str(gx_root)})
        from training.core.settings import get_settings

        _fill(disk)
        line = _expect_refused(argv, get_settings(), engine, capsys, names=names)
        assert "No space left on device" in line and str(gx_root) in line


def _edit_suite(settings, edit) -> None:
    path = settings.gx_root / "expectations" / "trips_daily.json"
    suite = json.loads(path.read_text())
    kinds = {e["type"]: e for e in suite["expectations"]}
    edit(kinds)
    path.write_text(json.dumps(suite, indent=2))


def _row_count_inverted(kinds: dict) -> None:
    kwargs = kinds["expect_table_row_count_to_be_between"]["kwargs"]
    kwargs["min_value"], kwargs["max_value"] = kwargs["max_value"] + 10, kwargs["min_value"]


def _mean_inverted(kinds: dict) -> None:
    kwargs = kinds["expect_column_mean_to_be_between"]["kwargs"]
    kwargs["min_value"] = kwargs["max_value"] + 1


def _string_bound(kinds: dict) -> None:
    kinds["expect_column_mean_to_be_between"]["kwargs"]["min_value"] = "twelve"


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (_row_count_inverted, "validation error for ExpectTableRowCountToBeBetween"),
        (_mean_inverted, "above max_value"),
        (_string_bound, "min_value"),
    ],
    ids=["row-count-min-above-max", "mean-min-above-max", "string-bound"],
)
def test_a_hand_edited_suite_gx_refuses_is_one_line_naming_the_file(project, capsys, edit, reason):
    settings, engine, _ = project
    _edit_suite(settings, edit)
    line = _expect_refused(_CHECKPOINT, settings, engine, capsys, names="expectations/trips_daily.json")
    assert line.startswith("error: invalid suite ") and reason in line, line


# --- B: a SQLite warehouse path that does not exist -----------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        _CHECKPOINT,
        _scaffold("fresh"),
        ["model", "list"],
        ["model", "show", "some_model"],
        ["pipeline", "run", "trips_duration", "--date", DAYS[1]],
        ["docs", "build"],
        ["docs", "prune", "--older-than", "90d"],
    ],
    ids=lambda argv: "-".join(argv[:2]),
)
def test_a_missing_sqlite_warehouse_is_never_created_by_a_reading_command(project, tmp_path, monkeypatch, capsys, argv):
    settings, _, env = project
    missing = tmp_path / "typo" / "deeper" / "warehouse.db"
    _use(monkeypatch, {**env, "TRAINGUARD_WAREHOUSE_URL": f"sqlite:///{missing}"})
    before = _digest(settings.gx_root)
    capsys.readouterr()
    assert main(argv) == 2
    assert _one_line(capsys.readouterr().err) == f"error: no such warehouse file: {missing}"
    assert not (tmp_path / "typo").exists()
    assert _digest(settings.gx_root) == before


def test_demo_seed_still_creates_a_new_sqlite_warehouse(project, tmp_path, monkeypatch, capsys):
    _, _, env = project
    fresh = tmp_path / "new" / "folder" / "warehouse.db"
    _use(monkeypatch, {**env, "TRAINGUARD_WAREHOUSE_URL": f"sqlite:///{fresh}"})
    assert main(["demo", "seed", "--start", DAYS[0], "--end", DAYS[0]]) == 0
    assert fresh.is_file() and "wrote" in capsys.readouterr().out


# --- E: malformed paths on the Data Docs server ----------------------------------------------


@pytest.fixture
def served(tmp_path):
    from training.docs_site.serve import make_server

    site = tmp_path / "site"
    (site / "validations").mkdir(parents=True)
    (site / "index.html").write_text("<html>index</html>")
    (tmp_path / "secret.txt").write_text("outside the site")
    server = make_server(site, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(5)


def _get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/index.html", 200),
        ("/%00", 400),
        ("/index.html%00.png", 400),
        ("/validations/%00/x.html", 400),
        ("/%ED%A0%80.html", 400),  # a lone surrogate: no file name can hold it
        ("/../secret.txt", 404),
        ("/%2e%2e/secret.txt", 404),
        ("/validations/", 404),
    ],
)
def test_docs_serve_answers_malformed_paths_without_a_traceback(served, capsys, path, status):
    assert _get(served, path) == status
    assert _get(served, "/index.html") == 200  # the server is still up
    assert "Traceback" not in capsys.readouterr().err
