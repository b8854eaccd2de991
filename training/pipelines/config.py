"""Read and check pipeline files (``pipelines/*.yaml``) without touching a database.

Every problem names the file and the key: an unknown key, a wrong type, a metric the task does
not have, a feature that is also the target, a window too short for its holdout. What needs
the warehouse or an import (columns, the estimator class) is checked by
:mod:`training.pipelines.checks` before a run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from training.core.errors import NotFoundError, TrainguardError
from training.model.gate import RATIO_FORMULAS, TASK_METRICS, TASKS, Baseline, GateTolerances
from training.model.pipeline_spec import AirflowOptions, PipelineSpec
from training.warehouse.names import check_identifier

SUFFIXES = (".yaml", ".yml")
FAILED_DAYS = ("exclude", "stop")
DEFAULT_ESTIMATORS = {
    "regression": "sklearn.ensemble.HistGradientBoostingRegressor",
    "classification": "sklearn.ensemble.HistGradientBoostingClassifier",
}
KEYS = {
    "name": "required",
    "description": "optional",
    "table": "required",
    "date_column": "required",
    "data_checkpoint": "required",
    "target": "required",
    "task": "optional",
    "features": "required",
    "model": "optional",
    "train_window_days": "optional",
    "min_train_days": "optional",
    "holdout": "optional",
    "failed_days": "optional",
    "metric": "optional",
    "slice_by": "optional",
    "baseline": "optional",
    "gate": "optional",
    "model_checkpoint": "optional",
    "airflow": "optional",
}


class PipelineConfigError(TrainguardError):
    """A pipeline file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class PipelineFile:
    """A file in the pipelines folder: its spec, or why it could not be read."""

    path: Path
    spec: PipelineSpec | None
    error: str | None


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> PipelineConfigError:
        return PipelineConfigError(f"{self.source}: {key}: {problem}")

    def mapping(self, value: Any, key: str, allowed: Mapping[str, str] | tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(key, f"must be a mapping, got {type(value).__name__}")
        unknown = sorted(str(k) for k in value if k not in allowed)
        if unknown:
            raise self.fail(key, f"unknown key(s) {', '.join(unknown)} (allowed: {', '.join(allowed)})")
        return dict(value)

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "must be a non-empty string")
        return value.strip()

    def name(self, value: Any, key: str) -> str:
        try:
            return check_identifier(self.text(value, key), key)
        except TrainguardError as exc:
            raise self.fail(key, str(exc)) from None

    def names(self, value: Any, key: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.fail(key, f"must be a list of column names, got {type(value).__name__}")
        found = tuple(self.name(v, key) for v in value)
        repeated = sorted({v for v in found if found.count(v) > 1})
        if repeated:
            raise self.fail(key, f"lists {', '.join(repeated)} more than once")
        return found

    def integer(self, value: Any, key: str, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"must be an integer >= {minimum}, got {value!r}")
        return value

    def number(self, value: Any, key: str, minimum: float = 0.0) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise self.fail(key, f"must be a number >= {minimum}, got {value!r}")
        return float(value)

    def choice(self, value: Any, key: str, choices: tuple[str, ...]) -> str:
        if value not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)}, got {value!r}")
        return value


def _holdout(r: _Reader, raw: Any) -> tuple[int | None, float | None]:
    if raw is None:
        return 1, None
    holdout = r.mapping(raw, "holdout", ("days", "fraction"))
    if len(holdout) != 1:
        raise r.fail("holdout", "give exactly one of {days: N} or {fraction: F}")
    if "days" in holdout:
        return r.integer(holdout["days"], "holdout.days", 1), None
    fraction = r.number(holdout["fraction"], "holdout.fraction")
    if not 0 < fraction < 1:
        raise r.fail("holdout.fraction", f"must be between 0 and 1 (exclusive), got {fraction}")
    return None, fraction


def _baseline(r: _Reader, raw: Any) -> Baseline | None:
    if raw is None:
        return None
    baseline = r.mapping(raw, "baseline", ("value", "tolerance", "ratio_formula"))
    if "value" not in baseline:
        raise r.fail("baseline.value", "is required when baseline is given")
    return Baseline(
        value=r.number(baseline["value"], "baseline.value", float("-inf")),
        tolerance=r.number(baseline.get("tolerance", 0.1), "baseline.tolerance"),
        ratio_formula=r.choice(
            baseline.get("ratio_formula", "relative_diff"), "baseline.ratio_formula", RATIO_FORMULAS
        ),
    )


def _tolerances(r: _Reader, raw: Any) -> GateTolerances:
    if raw is None:
        return GateTolerances()
    known = {f.name: f.default for f in fields(GateTolerances)}
    given = r.mapping(raw, "gate", tuple(known))
    values = {
        key: r.integer(value, f"gate.{key}", 1) if isinstance(known[key], int) else r.number(value, f"gate.{key}")
        for key, value in given.items()
    }
    tolerances = GateTolerances(**values)
    if tolerances.slice_ratio < 1:
        raise r.fail("gate.slice_ratio", f"must be >= 1, got {tolerances.slice_ratio}")
    if tolerances.top_features_overlap > tolerances.top_features:
        raise r.fail("gate.top_features_overlap", "cannot exceed gate.top_features")
    return tolerances


def _airflow(r: _Reader, raw: Any) -> AirflowOptions:
    if raw is None:
        return AirflowOptions()
    known = tuple(f.name for f in fields(AirflowOptions))
    given = r.mapping(raw, "airflow", known)
    options: dict[str, Any] = {}
    if "dag_id" in given:
        options["dag_id"] = r.name(given["dag_id"], "airflow.dag_id")
    if "schedule" in given:
        options["schedule"] = None if given["schedule"] is None else r.text(given["schedule"], "airflow.schedule")
    if "start_date" in given:
        start = given["start_date"]
        try:
            options["start_date"] = start if isinstance(start, dt.date) else dt.date.fromisoformat(str(start))
        except ValueError:
            raise r.fail("airflow.start_date", f"must be a date YYYY-MM-DD, got {start!r}") from None
    if "volume_days_back" in given:
        options["volume_days_back"] = r.integer(given["volume_days_back"], "airflow.volume_days_back", 1)
    if "volume_max_ratio" in given:
        options["volume_max_ratio"] = r.number(given["volume_max_ratio"], "airflow.volume_max_ratio", 1.0)
    return AirflowOptions(**options)


def parse_pipeline(raw: Any, source: str = "<pipeline>") -> PipelineSpec:
    """Check ``raw`` (a parsed YAML document) and build its :class:`PipelineSpec`."""
    r = _Reader(source)
    data = r.mapping(raw, "pipeline file", KEYS)
    missing = [k for k, need in KEYS.items() if need == "required" and k not in data]
    if missing:
        raise r.fail(missing[0], f"is required (missing: {', '.join(missing)})")
    task = r.choice(data.get("task", "regression"), "task", TASKS)
    features = r.mapping(data["features"], "features", ("numeric", "categorical"))
    numeric = r.names(features.get("numeric"), "features.numeric")
    categorical = r.names(features.get("categorical"), "features.categorical")
    if not numeric and not categorical:
        raise r.fail("features", "lists no feature (give features.numeric and/or features.categorical)")
    both = sorted(set(numeric) & set(categorical))
    if both:
        raise r.fail("features", f"{', '.join(both)} listed as both numeric and categorical")
    target = r.name(data["target"], "target")
    date_column = r.name(data["date_column"], "date_column")
    if target in (*numeric, *categorical):
        raise r.fail("target", f"{target!r} is also listed as a feature; a model must not see its label")
    if date_column in (*numeric, *categorical, target):
        raise r.fail("date_column", f"{date_column!r} is also a feature or the target")
    model = r.mapping(data.get("model") or {}, "model", ("estimator", "params"))
    params = model.get("params") or {}
    if not isinstance(params, Mapping) or not all(isinstance(k, str) for k in params):
        raise r.fail("model.params", "must be a mapping of parameter names to values")
    metric = r.choice(data.get("metric", TASK_METRICS[task][0]), "metric", TASK_METRICS[task])
    slice_by = r.names(data.get("slice_by"), "slice_by")
    not_features = [c for c in slice_by if c not in (*numeric, *categorical)]
    if not_features:
        raise r.fail("slice_by", f"{', '.join(not_features)} must be features of the model")
    holdout_days, holdout_fraction = _holdout(r, data.get("holdout"))
    window = data.get("train_window_days")
    window = None if window is None else r.integer(window, "train_window_days", 2)
    min_train_days = r.integer(data.get("min_train_days", 2), "min_train_days", 1)
    if window is not None and holdout_days is not None and holdout_days + min_train_days > window:
        raise r.fail(
            "train_window_days",
            f"{window} day(s) cannot hold {min_train_days} training day(s) and {holdout_days} holdout day(s)",
        )
    model_checkpoint = data.get("model_checkpoint")
    return PipelineSpec(
        pipeline=r.name(data["name"], "name"),
        description=str(data.get("description") or ""),
        table=r.name(data["table"], "table"),
        date_column=date_column,
        target=target,
        numeric=numeric,
        categorical=categorical,
        data_checkpoint=r.name(data["data_checkpoint"], "data_checkpoint"),
        task=task,
        estimator=r.text(model.get("estimator", DEFAULT_ESTIMATORS[task]), "model.estimator"),
        params=dict(params),
        train_window_days=window,
        holdout_days=holdout_days,
        holdout_fraction=holdout_fraction,
        min_train_days=min_train_days,
        metric=metric,
        slice_by=slice_by,
        baseline=_baseline(r, data.get("baseline")),
        tolerances=_tolerances(r, data.get("gate")),
        model_checkpoint=None if model_checkpoint is None else r.name(model_checkpoint, "model_checkpoint"),
        failed_days=r.choice(data.get("failed_days", "exclude"), "failed_days", FAILED_DAYS),
        airflow=_airflow(r, data.get("airflow")),
        source=Path(source) if source != "<pipeline>" else None,
    )


def load_pipeline(path: Path) -> PipelineSpec:
    """Read and check one pipeline file."""
    import yaml

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise PipelineConfigError(f"{path}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        raise PipelineConfigError(f"{path}: malformed YAML: {exc}".replace("\n", " ")) from None
    return parse_pipeline(raw, str(path))


def discover(folder: Path) -> list[PipelineFile]:
    """Every pipeline file in ``folder`` (sorted), each with its spec or its error; two files
    declaring the same name are both errors."""
    paths = sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES and p.is_file()) if folder.is_dir() else []
    found: list[PipelineFile] = []
    for path in paths:
        try:
            found.append(PipelineFile(path, load_pipeline(path), None))
        except PipelineConfigError as exc:
            found.append(PipelineFile(path, None, str(exc)))
    names = [f.spec.pipeline for f in found if f.spec]
    return [
        PipelineFile(f.path, None, f"{f.path}: name: {f.spec.pipeline!r} is declared by more than one file")
        if f.spec and names.count(f.spec.pipeline) > 1
        else f
        for f in found
    ]


def find_pipeline(folder: Path, name: str) -> PipelineSpec:
    """The pipeline called ``name`` in ``folder``; its file's error if it is malformed."""
    files = discover(folder)
    for f in files:
        if f.spec is not None and f.spec.pipeline == name:
            return f.spec
    for f in files:
        if f.spec is None and f.path.stem == name:
            raise PipelineConfigError(f.error or f"{f.path}: unreadable")
    known = ", ".join(f.spec.pipeline for f in files if f.spec) or "none"
    raise NotFoundError(f"unknown pipeline {name!r} in {folder} (known: {known})")
