"""`trainguard validation list` and `validation delete`: the audit trail as a user lists it and
removes a run from it: the warehouse record and its observed values, the stored GX result, its
Data Docs page, and the site (index, runs, history) rebuilt without it; all or nothing."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import io
import json
import os
import pty
import subprocess
import sys

import pytest
import sqlalchemy as sa

from tests.conftest import folder_digest, make_project, one_line
from training.cli.main import main

DAY = "2026-09-01"
SKEWED = "2026-09-02"


@pytest.fixture
def validated(tmp_path, monkeypatch, capsys):
    """A private project whose checkpoint ran on a clean day, then twice on a skewed one (a
    rerun): three recorded validations. Yields (settings, engine, env)."""
    from training.core.settings import get_settings
    from training.demo.generate import Skew
    from training.demo.seed import seed_demo

    settings, env = make_project(tmp_path)
    engine = sa.create_engine(settings.warehouse_url)
    seed_demo(
        engine,
        dt.date.fromisoformat(DAY),
        dt.date.fromisoformat(SKEWED),
        [Skew(dt.date(2026, 9, 2), "mean_shift", "distance_km")],
    )
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    assert main(["checkpoint", "run", "trips_daily", "--date", DAY]) == 0
    assert main(["checkpoint", "run", "trips_daily", "--date", SKEWED]) == 1
    assert main(["checkpoint", "run", "trips_daily", "--date", SKEWED]) == 1
    capsys.readouterr()
    yield settings, engine, env
    engine.dispose()
    get_settings.cache_clear()


def _rows(engine: sa.Engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {
            table: [tuple(r) for r in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))]
            for table in ("trainguard_validations", "trainguard_observations")
        }


def _state(settings, engine) -> tuple:
    return folder_digest(settings.gx_root), _rows(engine)


def _listed(capsys) -> list[dict]:
    assert main(["validation", "list", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@contextlib.contextmanager
def _terminal_answering(answer: str, monkeypatch):
    """stdin is a real terminal (a pseudo-terminal) on which the user typed ``answer``."""
    master, slave = pty.openpty()
    os.write(master, answer.encode() + b"\n")
    with os.fdopen(slave, "r") as terminal, monkeypatch.context() as patched:
        patched.setattr(sys, "stdin", terminal)
        try:
            yield
        finally:
            os.close(master)


def test_list_then_refusals_change_nothing_then_delete_by_id_and_by_day(validated, capsys, monkeypatch):
    settings, engine, _ = validated
    site = settings.data_docs_dir

    # --- list: one line per recording, oldest first; --json the same records -----------------
    assert main(["validation", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["ID", "CHECKPOINT", "DAY", "OR"] and "VERDICT" in lines[0]
    assert [line.split()[1:3] for line in lines[1:]] == [["trips_daily", day] for day in (DAY, SKEWED, SKEWED)]
    assert "passed" in lines[1] and "FAILED" in lines[2] and "FAILED" in lines[3]
    assert lines[2].rstrip().endswith("failed") and " UTC " in lines[2]
    records = _listed(capsys)
    verdicts = [(DAY, None, True), (SKEWED, None, False), (SKEWED, None, False)]
    assert [(r["day"], r["model_id"], r["success"]) for r in records] == verdicts
    assert records[1]["evaluated"] > records[1]["failed"] >= 1
    assert [str(r["id"]) for r in records] == [line.split()[0] for line in lines[1:]]
    first, second = records[1], records[2]
    assert main(["validation", "list", "--checkpoint", "trips_model"]) == 0
    assert capsys.readouterr().out == "no recorded validations of checkpoint 'trips_model'\n"
    assert main(["validation", "list", "--checkpoint", "nope"]) == 2
    assert one_line(capsys.readouterr().err) == "error: unknown checkpoint 'nope' (known: trips_daily, trips_model)"

    # --- refusals: exit 2, one line, records, results, pages and site unchanged ---------------
    before = _state(settings, engine)
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))  # a pipe: its "y" is not a confirmation
    hint = "see 'trainguard validation list'"
    refusals = [
        (
            ["999", "--yes"],
            f"no recorded validation with id 999 ({hint}); nothing was deleted",
        ),
        (
            [str(first["id"])],
            "give --yes to delete without a prompt (stdin is not a terminal); nothing was deleted",
        ),
        (["--date", SKEWED, "--yes"], f"give result ids ({hint}), or --checkpoint NAME"),
        (
            ["--checkpoint", "trips_daily", "--date", "2026-09-03", "--yes"],
            "no recorded validation of checkpoint 'trips_daily' for 2026-09-03",
        ),
    ]
    for argv, message in refusals:
        assert main(["validation", "delete", *argv]) == 2, argv
        assert one_line(capsys.readouterr().err).startswith(f"error: {message}"), argv
    with _terminal_answering("n", monkeypatch):
        assert main(["validation", "delete", str(first["id"])]) == 2
    captured = capsys.readouterr()
    assert "delete these 1 recorded validation(s)" in captured.out and SKEWED in captured.out
    assert one_line(captured.err) == "error: not confirmed; nothing was deleted"
    assert _state(settings, engine) == before

    # A full disk while the site is rebuilt: the rows come back, the files too, the site stays.
    from training.docs_site import site_dir

    def disk_full(site_path):
        raise OSError(errno.ENOSPC, "No space left on device", str(site_path))

    with monkeypatch.context() as patched:
        patched.setattr(site_dir, "new_build", disk_full)
        assert main(["validation", "delete", str(first["id"]), "--yes"]) == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith("error: validations not deleted, the site could not be rebuilt: No space left on device")
    assert line.endswith("nothing was deleted")
    assert _state(settings, engine) == before

    # --- delete by id, confirmed on a terminal: that recording only. Its page URL is not
    # recorded (as when the site update after the validation failed): its result is found in
    # the store between the batch's previous recording and its own.
    def skewed_observations() -> int:
        with engine.connect() as conn:
            query = sa.text("SELECT COUNT(*) FROM trainguard_observations WHERE batch_value = :d")
            return conn.execute(query, {"d": SKEWED}).scalar()

    per_run = skewed_observations() // 2
    assert per_run > 0
    result_of = {r["id"]: _result_file(settings, r) for r in records}
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE trainguard_validations SET docs_page = NULL WHERE id = :i"), {"i": second["id"]})
    with _terminal_answering("y", monkeypatch):
        assert main(["validation", "delete", str(second["id"])]) == 0
    out = capsys.readouterr().out
    assert f"deleted #{second['id']} trips_daily {SKEWED} (FAILED, recorded " in out
    assert f"removed {per_run} observed value(s), 1 result file(s) and page(s); Data Docs rebuilt" in out
    assert [r["id"] for r in _listed(capsys)] == [records[0]["id"], first["id"]]
    assert not result_of[second["id"]].exists() and result_of[first["id"]].is_file()
    assert skewed_observations() == per_run

    # --- delete every recording of a day: the site no longer shows the day -------------------
    runs = (site / "trainguard" / "runs.html").read_text()
    assert SKEWED in runs and SKEWED in (site / "trainguard" / "history-trips_daily.html").read_text()
    assert main(["validation", "delete", "--checkpoint", "trips_daily", "--date", SKEWED, "--yes"]) == 0
    out = capsys.readouterr().out
    assert f"deleted #{first['id']} trips_daily {SKEWED}" in out and "2 result file(s) and page(s)" in out
    assert [r["day"] for r in _listed(capsys)] == [DAY]
    assert not result_of[first["id"]].exists() and result_of[records[0]["id"]].is_file()
    assert skewed_observations() == 0
    runs = (site / "trainguard" / "runs.html").read_text()
    assert SKEWED not in runs and DAY in runs
    history = (site / "trainguard" / "history-trips_daily.html").read_text()
    assert SKEWED not in history and DAY in history
    index = (site / "index.html").read_text()
    assert f"ds_{SKEWED}" not in index and f"ds_{DAY}" in index
    leftovers = [p for p in settings.gx_root.rglob("*") if ".deleting-" in p.name or SKEWED in p.name]
    assert leftovers == []


def _result_file(settings, record: dict):
    """The stored GX result a recorded page belongs to (same path below the store)."""
    relative = record["docs_page"].removeprefix("file://").split("/local_site/validations/", 1)[1]
    return settings.gx_root / "uncommitted" / "validations" / relative.replace(".html", ".json")


def test_listing_imports_neither_gx_nor_airflow(tmp_path):
    _, env = make_project(tmp_path)
    sa.create_engine(env["TRAINGUARD_WAREHOUSE_URL"]).connect().close()  # an empty warehouse file
    code = (
        "import sys; from training.cli.main import main; "
        "assert main(['validation', 'list']) == 0; "
        "heavy = [m for m in ('great_expectations', 'airflow', 'sklearn', 'pandas') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **env}, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "no recorded validations\n"
