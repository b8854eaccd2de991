"""What a user sees: the wrong batch flag, a closed pipe, --version, help for every argument,
one-line errors that name the command, what `demo seed` injected, rounded text output, and the
suite/checkpoint housekeeping commands a GX 0.x CLI user expects (list, delete, docs --open).

Exit codes are the CLI's contract: 0 success, 1 failed validation or refused model, 2 usage,
configuration or environment error with exactly one line on stderr, and nothing changed."""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import folder_digest, make_project, one_line
from training.cli.main import build_parser, main

DAY = "2026-09-01"
SKEWED = "2026-09-02"


_one_line, _digest = one_line, folder_digest


def _use(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    from training.core.settings import get_settings

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()


def _exit_code(argv: list[str]) -> int:
    """``main(argv)``, with a parser exit (``--version``, a usage error) as its code."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A private GX project and SQLite warehouse with one clean demo day and one whose
    distance_km is shifted, made the settings of in-process ``main()`` calls: (settings, engine)."""
    from training.core.settings import get_settings
    from training.demo.generate import Skew
    from training.demo.seed import seed_demo
    from training.warehouse.tables import ensure_tables

    settings, env = make_project(tmp_path)
    engine = sa.create_engine(settings.warehouse_url)
    skew = Skew(dt.date.fromisoformat(SKEWED), "mean_shift", "distance_km")
    seed_demo(engine, dt.date.fromisoformat(DAY), dt.date.fromisoformat(SKEWED), [skew])
    ensure_tables(engine)
    _use(monkeypatch, env)
    yield settings, engine
    engine.dispose()
    get_settings.cache_clear()


@pytest.fixture
def bare_project(tmp_path, monkeypatch):
    """A private GX project whose warehouse does not exist yet: (settings, warehouse path)."""
    from training.core.settings import get_settings

    settings, env = make_project(tmp_path)
    _use(monkeypatch, env)
    yield settings, tmp_path / "warehouse.db"
    get_settings.cache_clear()


def _validation_rows(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT COUNT(*) FROM trainguard_validations")).scalar_one()


# --- 1. the wrong batch flag is a usage error that records nothing ---------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["checkpoint", "run", "trips_daily", "--model", "m-123"],
            "give --date YYYY-MM-DD (or --from/--to), not --model",
        ),
        (["checkpoint", "run", "trips_model", "--date", DAY], "give --model MODEL_ID, not --date"),
        (["checkpoint", "run", "trips_model", "--from", DAY, "--to", SKEWED], "give --model MODEL_ID, not --date"),
    ],
    ids=["data-checkpoint-given-model", "model-checkpoint-given-date", "model-checkpoint-given-range"],
)
def test_wrong_batch_flag_is_a_usage_error_that_records_nothing(project, capsys, argv, expected):
    settings, engine = project
    before = _digest(settings.gx_root)
    assert main(argv) == 2
    out, err = capsys.readouterr()
    line = _one_line(err)
    assert line.startswith("error: checkpoint ") and expected in line
    assert out == ""
    assert _validation_rows(engine) == 0  # no failed "validation" of an empty batch in the audit trail
    assert _digest(settings.gx_root) == before  # no validation result files, no Data Docs pages


# --- 2. a closed pipe ------------------------------------------------------------------------


def test_output_into_a_closed_pipe_exits_quietly_with_141(tmp_path):
    """`trainguard checkpoint list --json | head -1`: the reader leaves after one line. The
    output (many checkpoints) is larger than the pipe, so the CLI is still writing then."""
    settings, env = make_project(tmp_path)
    template = (settings.gx_root / "checkpoints" / "trips_daily.json").read_text()
    for i in range(80):
        (settings.gx_root / "checkpoints" / f"copy_{i:03d}.json").write_text(template)
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)  # the smallest pipe: about 16 KB stay unwritten
    exe = Path(sys.executable).with_name("trainguard")
    proc = subprocess.Popen(
        [str(exe), "checkpoint", "list", "--json"],
        stdout=write_end,
        stderr=subprocess.PIPE,
        env={**os.environ, **env},
    )
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        assert reader.readline() == b"[\n"  # what `head -1` prints
    _, stderr = proc.communicate(timeout=60)
    # 141 = 128 + SIGPIPE, what a shell reports for git or `yes` in `... | head -1`.
    assert proc.returncode == 141
    assert stderr == b""  # no BrokenPipeError traceback, no "Exception ignored" message


# --- 3. --version ----------------------------------------------------------------------------


def test_version_prints_the_package_version_and_exits_0(capsys):
    from importlib import metadata

    assert _exit_code(["--version"]) == 0
    out, err = capsys.readouterr()
    assert out == f"trainguard {metadata.version('trainguard')}\n"
    assert err == ""


def test_version_falls_back_to_pyproject_when_not_installed(monkeypatch):
    from importlib import metadata

    from training.cli.main import package_version

    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    declared = re.search(r'^version = "([^"]+)"', (Path(__file__).parents[2] / "pyproject.toml").read_text(), re.M)
    assert package_version() == declared.group(1)


def test_version_help_and_listings_do_not_import_gx_or_airflow(tmp_path):
    _, env = make_project(tmp_path)
    code = (
        "import sys, contextlib, io; from training.cli.main import main\n"
        "for argv in (['--version'], ['--help'], ['suite', 'delete', '--help']):\n"
        "    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()): main(argv)\n"
        "assert main(['checkpoint', 'list']) == 0 and main(['suite', 'list']) == 0\n"
        "heavy = [m for m in ('great_expectations', 'airflow', 'sklearn', 'pandas') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **env}, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "trips_daily" in proc.stdout and "expectations=" in proc.stdout


# --- 4. help for every argument ----------------------------------------------------------------


def _parsers(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def test_every_positional_argument_of_every_command_has_help():
    missing = []
    for parser in _parsers(build_parser()):
        for action in parser._positionals._group_actions:
            if isinstance(action, argparse._SubParsersAction):
                # A command group's positional is its subcommand: each must say what it does.
                missing += [f"{parser.prog} {c.dest}" for c in action._choices_actions if not c.help]
            elif not action.help:
                missing.append(f"{parser.prog} {action.dest}")
    assert missing == []


def test_model_promote_help_describes_model_id(capsys):
    assert _exit_code(["model", "promote", "--help"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^\s+model_id\s+\S", out, re.M), out  # a description follows the name


# --- 5. one-line errors name the command and the accepted form --------------------------------


@pytest.mark.parametrize("words", [["3", "months"], ["3 months"], ["90 days"], ["0d"]])
def test_bad_prune_age_names_docs_prune_and_the_accepted_form(bare_project, capsys, words):
    settings, warehouse = bare_project
    before = _digest(settings.gx_root)
    assert _exit_code(["docs", "prune", "--older-than", *words]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("trainguard docs prune: error: argument --older-than: invalid age")
    assert "e.g. 90d, 12w or 36h" in line and "see 'trainguard docs prune --help'" in line
    assert _digest(settings.gx_root) == before and not warehouse.exists()


def test_leftover_words_name_the_command_they_were_given_to(capsys):
    assert _exit_code(["checkpoint", "list", "extra"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line == (
        "trainguard checkpoint list: error: unrecognized arguments: extra (see 'trainguard checkpoint list --help')"
    )


# --- 6. demo seed says what it injected --------------------------------------------------------


def test_demo_seed_confirms_each_injected_skew(bare_project, capsys):
    argv = ["demo", "seed", "--start", DAY, "--end", SKEWED]
    skews = ["--skew", f"{SKEWED}:mean_shift:distance_km", "--skew", f"{DAY}:null_burst:tip_rate:0.3"]
    assert main([*argv, *skews]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("wrote ") and lines[0].endswith(" rows over 2 days into 'trips'")
    assert lines[1:] == [
        f"  injected mean_shift on {SKEWED}: distance_km shifted by 3 standard deviations",
        f"  injected null_burst on {DAY}: 30% of tip_rate set to null",
    ]


@pytest.mark.parametrize(
    ("skew", "message"),
    [
        ("2026-10-01:mean_shift:distance_km", "skew day 2026-10-01 is outside --start 2026-09-01 .. --end 2026-09-02"),
        (f"{SKEWED}:null_burst:fare", "cannot skew unknown column 'fare'"),
    ],
)
def test_demo_seed_refuses_a_skew_it_could_not_inject_before_writing(bare_project, capsys, skew, message):
    _, warehouse = bare_project
    assert main(["demo", "seed", "--start", DAY, "--end", SKEWED, "--skew", skew]) == 2
    assert message in _one_line(capsys.readouterr().err)
    assert not warehouse.exists()  # not one day written


# --- 7. rounded text, full-precision JSON ------------------------------------------------------

_NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d+(?:e-?\d+)?")


def _significant_digits(text: str) -> int:
    mantissa = text.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
    return len(mantissa.rstrip("0")) or 1


def test_failure_lines_round_floats_while_json_keeps_full_precision(project, capsys):
    assert main(["checkpoint", "run", "trips_daily", "--date", SKEWED]) == 1
    text = capsys.readouterr().out
    failure = next(line for line in text.splitlines() if line.strip().startswith("FAIL "))
    assert failure.startswith("  FAIL mean of distance_km: ")
    numbers = _NUMBER.findall(failure)
    assert numbers and all(_significant_digits(n) <= 4 for n in numbers), failure

    assert main(["checkpoint", "run", "trips_daily", "--date", SKEWED, "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    observed = next(f["observed"] for f in data["results"][0]["failures"] if f["column"] == "distance_km")
    assert _significant_digits(repr(observed)) > 4  # the stored value, unrounded
    shown = re.search(r"distance_km: (\S+),", failure).group(1)
    assert float(shown) == pytest.approx(observed, rel=1e-3)


def test_model_train_text_rounds_metrics_json_does_not(monkeypatch, capsys):
    from types import SimpleNamespace

    import training.model.train

    result = SimpleNamespace(
        model_id="trips_duration-20260912-abc",
        train_days=["2026-09-05", "2026-09-06"],
        holdout_days=["2026-09-07"],
        metrics={"holdout": {"mae": 3.14159265358979, "rmse": 12345.6789, "r2": 0.000123456789}},
    )
    monkeypatch.setattr(training.model.train, "train_for_day", lambda spec, day: result)
    assert main(["model", "train", "--date", "2026-09-12"]) == 0
    out = capsys.readouterr().out
    assert "  holdout  mae=3.142  rmse=12346  r2=0.0001235" in out
    assert main(["model", "train", "--date", "2026-09-12", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["metrics"]["holdout"]["mae"] == 3.14159265358979


# --- 8. suite list/delete, checkpoint delete, docs build --open --------------------------------


def test_suite_list_shows_expectation_count_table_and_checkpoints(bare_project, capsys):
    assert main(["suite", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    daily = next(line for line in lines if line.startswith("trips_daily "))
    model = next(line for line in lines if line.startswith("trips_model "))
    assert re.search(r"expectations=\d+ +table=trips +checkpoints=trips_daily$", daily), daily
    assert "table=trainguard_model_metrics" in model
    assert main(["suite", "list", "--json"]) == 0
    listed = {s["name"]: s for s in json.loads(capsys.readouterr().out)}
    assert listed["trips_daily"]["expectations"] == int(re.search(r"expectations=(\d+)", daily).group(1))


def test_suite_delete_refuses_a_suite_a_checkpoint_uses(bare_project, capsys):
    settings, _ = bare_project
    before = _digest(settings.gx_root)
    assert main(["suite", "delete", "trips_daily"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "used by checkpoint(s) trips_daily" in line and "--force" in line
    assert _digest(settings.gx_root) == before


def _fake_suite_page(settings, suite: str) -> Path:
    from training.docs_site.paths import suite_page

    page = suite_page(settings.data_docs_dir, suite)
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text("<html>suite</html>")
    return page


def test_suite_delete_force_removes_the_suite_and_its_page(bare_project, capsys):
    settings, _ = bare_project
    page = _fake_suite_page(settings, "trips_model")
    assert main(["suite", "delete", "trips_model", "--force"]) == 0
    out = capsys.readouterr().out
    assert "deleted suite 'trips_model'" in out and "Data Docs page" in out
    assert "trips_model now name a missing suite" in out
    assert not (settings.gx_root / "expectations" / "trips_model.json").exists() and not page.exists()
    assert not [p for p in (settings.gx_root / "expectations").iterdir() if "deleting" in p.name]
    assert (settings.gx_root / "expectations" / "trips_daily.json").exists()


def test_checkpoint_delete_removes_it_and_its_definitions_then_its_suite_may_go(bare_project, capsys):
    settings, _ = bare_project
    root = settings.gx_root
    assert main(["checkpoint", "delete", "trips_daily"]) == 0
    assert "deleted checkpoint 'trips_daily' and 1 validation definition(s)" in capsys.readouterr().out
    assert not (root / "checkpoints" / "trips_daily.json").exists()
    assert not (root / "validation_definitions" / "trips_daily.json").exists()
    assert (root / "checkpoints" / "trips_model.json").exists()
    assert (root / "validation_definitions" / "trips_model.json").exists()
    assert main(["checkpoint", "list"]) == 0
    assert "trips_daily" not in capsys.readouterr().out
    assert main(["suite", "delete", "trips_daily"]) == 0  # no checkpoint uses it any more
    assert not (root / "expectations" / "trips_daily.json").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["suite", "delete", "nope"], "error: unknown suite 'nope' (known: trips_daily, trips_model)"),
        (["checkpoint", "delete", "nope"], "error: unknown checkpoint 'nope' (known: trips_daily, trips_model)"),
    ],
)
def test_deleting_a_missing_name_is_one_line_exit_2(bare_project, capsys, argv, message):
    settings, _ = bare_project
    before = _digest(settings.gx_root)
    assert main(argv) == 2
    assert _one_line(capsys.readouterr().err) == message
    assert _digest(settings.gx_root) == before


def test_a_delete_that_fails_halfway_leaves_every_file_in_place(bare_project, capsys, monkeypatch):
    """The checkpoint's file is set aside, then its definition cannot be: both stay."""
    settings, _ = bare_project
    before = _digest(settings.gx_root)
    real_replace = os.replace

    def refuse_definitions(src, dst):
        if "validation_definitions" in str(src):
            raise PermissionError(13, "Permission denied", str(src))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", refuse_definitions)
    assert main(["checkpoint", "delete", "trips_daily"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("error: cannot delete checkpoint 'trips_daily': Permission denied")
    assert line.endswith("nothing was deleted")
    assert _digest(settings.gx_root) == before


def test_docs_build_open_opens_the_index_in_the_browser(project, capsys, monkeypatch, tmp_path):
    import webbrowser

    settings, _ = project
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> {opened}\n')
    browser.chmod(0o755)
    monkeypatch.setenv("BROWSER", str(browser))
    monkeypatch.setattr(webbrowser, "_tryorder", None)  # read $BROWSER again in this process
    assert main(["docs", "build", "--open"]) == 0
    index = settings.data_docs_dir / "index.html"
    assert f"Data Docs built: {index}" in capsys.readouterr().out
    assert opened.read_text() == f"{index.as_uri()}\n"  # the site's path, not its build folder
    assert index.is_file()
