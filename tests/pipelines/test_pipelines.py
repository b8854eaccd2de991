"""Declarative pipelines and the Python API on a table the demo does not know: a strong model
is promoted, a much weaker one is rejected and production stays; classification metrics
where higher is better; bad pipeline files fail clearly and run nothing; one DAG per file."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa
from sklearn.base import BaseEstimator, RegressorMixin

from tests.conftest import REPO, make_project, run_cli
from tests.shapes import orders_day

START = dt.date(2026, 5, 1)
DAYS = [START + dt.timedelta(days=i) for i in range(24)]  # 05-01 .. 05-24
REFERENCE = "2026-05-01:2026-05-14"

ORDERS = """
table: orders
date_column: ds
data_checkpoint: orders_daily
features:
  numeric: [basket_value, distance_km, items]
  categorical: [region, channel]
model:
  estimator: {estimator}
  params: {params}
train_window_days: 10
"""

REGRESSION = (
    """
name: delivery_time
target: delivery_hours
task: regression
holdout: {{days: 2}}
metric: mae
slice_by: [region]
baseline: {{value: 0.5, tolerance: 0.3, ratio_formula: relative_diff}}
"""
    + ORDERS
)

CLASSIFICATION = (
    """
name: late_orders
target: late
task: classification
holdout: {{fraction: 0.25}}
metric: roc_auc
slice_by: [channel]
"""
    + ORDERS
)


@pytest.fixture(scope="module")
def orders(tmp_path_factory):
    """A private project: the ``orders`` table, its scaffolded data suite, a pipelines folder."""
    from training.warehouse.engine import get_engine
    from training.warehouse.writer import write_days

    base = tmp_path_factory.mktemp("orders")
    settings, env = make_project(base)
    pipelines = base / "pipelines"
    pipelines.mkdir()
    env["TRAINGUARD_PIPELINES_DIR"] = str(pipelines)
    write_days(get_engine(settings.warehouse_url), "orders", "ds", {d: orders_day(d) for d in DAYS})
    proc = run_cli(
        "suite", "scaffold", "--table", "orders", "--date-column", "ds", "--reference", REFERENCE,
        "--name", "orders_daily", "--exclude", "order_id", "--target", "delivery_hours", env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return settings, env, pipelines


def _write(folder, template: str, estimator: str, params: dict, name: str | None = None) -> None:
    text = template.format(estimator=estimator, params=json.dumps(params))
    if name:
        text = text.replace("name: delivery_time", f"name: {name}").replace("name: late_orders", f"name: {name}")
    (folder / f"{name or template.split()[1]}.yaml").write_text(textwrap.dedent(text))


def _production(settings, pipeline: str) -> str | None:
    from training.model.registry import production_model
    from training.warehouse.engine import get_engine

    return production_model(get_engine(settings.warehouse_url), pipeline)


def test_strong_model_is_promoted_and_a_dummy_next_day_is_rejected(orders):
    settings, env, pipelines = orders
    _write(pipelines, REGRESSION, "sklearn.ensemble.HistGradientBoostingRegressor", {"max_iter": 100})
    listed = run_cli("pipeline", "list", env=env)
    assert listed.returncode == 0 and "delivery_time" in listed.stdout and "orders_daily" in listed.stdout

    first = run_cli("pipeline", "run", "delivery_time", "--date", "2026-05-18", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    strong = _production(settings, "delivery_time")
    assert strong and strong.startswith("delivery_time-20260518-")
    assert f"production: {strong}" in first.stdout and "promoted" in first.stdout
    assert "10 of 10 day(s) in the window passed" in first.stdout
    # The model checkpoint was generated from the file: baseline, production, trend, slices, ...
    suite = json.loads((settings.gx_root / "expectations" / "delivery_time_model.json").read_text())
    types = {e["type"] for e in suite["expectations"]}
    assert {"expect_model_metric_to_be_within_baseline", "expect_model_slices_to_be_consistent"} <= types

    _write(pipelines, REGRESSION, "sklearn.dummy.DummyRegressor", {"strategy": "mean"})
    second = run_cli("pipeline", "run", "delivery_time", "--date", "2026-05-19", "--json", env=env)
    assert second.returncode == 1, second.stdout + second.stderr
    outcome = json.loads(second.stdout)
    assert outcome["promoted"] is False and outcome["production"] == strong
    model_stage = next(s for s in outcome["stages"] if s["name"] == "model")
    failed = "\n".join(model_stage["details"])
    # One sentence per failed check: the production model's value is called "production".
    assert " vs production " in failed and f"(model {strong}): worse by " in failed
    assert " vs baseline " in failed
    assert _production(settings, "delivery_time") == strong

    # Rerunning the promoted day changes nothing and still exits 0 (unchanged by design).
    _write(pipelines, REGRESSION, "sklearn.ensemble.HistGradientBoostingRegressor", {"max_iter": 100})
    again = run_cli("pipeline", "run", "delivery_time", "--date", "2026-05-18", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "already in production" in again.stdout and _production(settings, "delivery_time") == strong


def test_classification_pipeline_treats_higher_roc_auc_as_better(orders):
    from training.pipelines.config import find_pipeline
    from training.pipelines.run import run_pipeline

    settings, _, pipelines = orders
    folder = pipelines.parent / "classification"
    folder.mkdir()
    _write(folder, CLASSIFICATION, "sklearn.linear_model.LogisticRegression", {"max_iter": 500})
    good = run_pipeline(find_pipeline(folder, "late_orders"), dt.date(2026, 5, 20), settings)
    assert good.exit_code == 0 and good.promoted, good
    train = next(s for s in good.stages if s.name == "train")
    assert "roc_auc 0.9" in train.summary  # a clear signal: far above chance

    _write(folder, CLASSIFICATION, "sklearn.dummy.DummyClassifier", {"strategy": "prior"})
    weak = run_pipeline(find_pipeline(folder, "late_orders"), dt.date(2026, 5, 21), settings)
    assert weak.exit_code == 1 and not weak.promoted and weak.production == good.model_id
    failures = "\n".join(next(s for s in weak.stages if s.name == "model").details)
    assert "FAIL holdout roc_auc: " in failures and " vs production " in failures
    from training.model.registry import get_model
    from training.warehouse.engine import get_engine

    weak_model = get_model(get_engine(settings.warehouse_url), weak.model_id)
    assert weak_model["metrics"]["holdout"]["roc_auc"] == pytest.approx(0.5)
    assert weak_model["status"] == "rejected"


def test_python_api_guards_custom_training_code(orders):
    import pandas as pd

    from tests.shapes import orders_day
    from training.api import Baseline, ModelGate, guard_model

    settings, _, _ = orders
    frame = pd.concat([orders_day(d) for d in DAYS[:8]], ignore_index=True)
    x = pd.get_dummies(frame[["distance_km", "items", "region"]], columns=["region"], dtype=float)
    x["region"] = frame["region"]  # kept for slicing; the model sees only the numeric columns
    features = [c for c in x.columns if c != "region"]
    train, holdout = x.iloc[:3000], x.iloc[3000:]
    y_train, y_holdout = frame["delivery_hours"][:3000], frame["delivery_hours"][3000:]
    gate = ModelGate(pipeline="api_delivery", metric="rmse", slice_by=("region",), baseline=Baseline(0.5, 0.5))

    fitted = OnColumns(features).fit(train, y_train)
    verdict = guard_model(gate, fitted, train, y_train, holdout, y_holdout, day="2026-05-08", settings=settings)
    assert verdict.passed and verdict.promoted and verdict.production == verdict.model_id, verdict

    noisy = y_train.sample(frac=1.0, random_state=0).to_numpy()  # labels shuffled: no signal left
    worse = OnColumns(features).fit(train, noisy)
    rejected = guard_model(gate, worse, train, noisy, holdout, y_holdout, day="2026-05-09", settings=settings)
    assert not rejected.passed and not rejected.promoted
    assert rejected.production == verdict.model_id
    assert any(f.startswith("FAIL holdout rmse: ") and " vs production " in f for f in rejected.failures)


def test_a_failed_day_in_the_window_is_excluded_or_stops_the_run(orders):
    from dataclasses import replace

    from training.gx.record.history import outcome_row, record_outcomes
    from training.pipelines.config import find_pipeline
    from training.pipelines.run import run_pipeline
    from training.warehouse.engine import get_engine

    settings, _, pipelines = orders
    _write(pipelines, REGRESSION, "sklearn.ensemble.HistGradientBoostingRegressor", {"max_iter": 50}, "excluding")
    engine = get_engine(settings.warehouse_url)
    record_outcomes([outcome_row("orders_daily", "orders_daily", "ds", "2026-05-15", False, failed=1)], engine)
    spec = find_pipeline(pipelines, "excluding")
    outcome = run_pipeline(spec, dt.date(2026, 5, 22), settings)
    data = outcome.stages[0]
    assert data.ok and "excluded: 2026-05-15" in data.summary
    assert "2026-05-15" not in next(s for s in outcome.stages if s.name == "train").summary

    stopped = run_pipeline(replace(spec, failed_days="stop"), dt.date(2026, 5, 22), settings)
    assert stopped.exit_code == 1 and [s.name for s in stopped.stages] == ["data"]
    assert "failed_days: stop" in stopped.stages[0].summary


def test_the_runs_own_failed_day_trains_nothing(orders):
    settings, env, pipelines = orders
    _write(pipelines, REGRESSION, "sklearn.ensemble.HistGradientBoostingRegressor", {"max_iter": 50}, "gapday")
    with sa.create_engine(settings.warehouse_url).begin() as conn:
        before = conn.execute(sa.text("SELECT COUNT(*) FROM trainguard_models")).scalar_one()
    proc = run_cli("pipeline", "run", "gapday", "--date", "2026-06-30", env=env)  # no rows that day
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "the run's day 2026-06-30 FAILED, nothing is trained" in proc.stdout
    with sa.create_engine(settings.warehouse_url).begin() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM trainguard_models")).scalar_one() == before


class OnColumns(BaseEstimator, RegressorMixin):
    """Custom training code: a ridge regression that picks its own columns of the frame."""

    def __init__(self, columns: list[str] | None = None) -> None:
        self.columns = columns

    def fit(self, x, y):
        from sklearn.linear_model import Ridge

        self.model_ = Ridge().fit(x[self.columns], y)
        self.coef_ = self.model_.coef_
        return self

    def predict(self, x):
        return self.model_.predict(x[self.columns])


GOOD = {
    "name": "p",
    "table": "orders",
    "date_column": "ds",
    "data_checkpoint": "orders_daily",
    "target": "delivery_hours",
    "features": {"numeric": ["distance_km"], "categorical": ["region"]},
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": "blue"}, "pipeline file: unknown key(s) colour"),
        ({"task": "ranking"}, "task: must be one of regression, classification"),
        ({"metric": "roc_auc"}, "metric: must be one of mae, rmse, r2"),
        ({"features": {"numeric": ["delivery_hours"]}}, "target: 'delivery_hours' is also listed as a feature"),
        ({"features": {"numeric": ["a", "a"]}}, "features.numeric: lists a more than once"),
        ({"features": {}}, "features: lists no feature"),
        ({"slice_by": ["channel"]}, "slice_by: channel must be features of the model"),
        ({"holdout": {"days": 1, "fraction": 0.2}}, "holdout: give exactly one of"),
        ({"holdout": {"fraction": 1.5}}, "holdout.fraction: must be between 0 and 1"),
        ({"train_window_days": 3, "holdout": {"days": 2}}, "train_window_days: 3 day(s) cannot hold 2 training"),
        ({"table": "orders; DROP TABLE orders"}, "table: invalid table name"),
        ({"model": {"estimator": 42}}, "model.estimator: must be a non-empty string"),
        ({"baseline": {"tolerance": 0.1}}, "baseline.value: is required"),
        ({"gate": {"production": -1}}, "gate.production: must be a number >= 0.0"),
        ({"airflow": {"start_date": "yesterday"}}, "airflow.start_date: must be a date"),
    ],
)
def test_malformed_pipeline_files_name_the_key(change, message):
    from training.pipelines.config import PipelineConfigError, parse_pipeline

    with pytest.raises(PipelineConfigError) as info:
        parse_pipeline({**GOOD, **change}, "p.yaml")
    assert str(info.value).startswith("p.yaml: ") and message in str(info.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"model": {"estimator": "sklearn.ensemble.NoSuchForest"}}, "model: model.estimator"),
        ({"model": {"estimator": "nosuchpackage.Model"}}, "cannot import module 'nosuchpackage'"),
        ({"model": {"estimator": "sklearn.linear_model.LogisticRegression"}}, "is not a regression estimator"),
        ({"model": {"estimator": "sklearn.linear_model.Ridge", "params": {"depth": 3}}}, "model.params for"),
        ({"features": {"numeric": ["distance_miles"]}}, "features.numeric: column(s) distance_miles not in"),
        ({"table": "shipments"}, "table: table 'shipments' does not exist"),
        ({"data_checkpoint": "nope"}, "data_checkpoint: unknown checkpoint 'nope'"),
    ],
)
def test_pipelines_that_cannot_run_fail_before_anything_runs(orders, change, message):
    import yaml

    settings, env, pipelines = orders
    folder = pipelines.parent / f"bad_{abs(hash(message)) % 10**6}"
    folder.mkdir()
    (folder / "p.yaml").write_text(yaml.safe_dump({**GOOD, **change}))
    with sa.create_engine(settings.warehouse_url).begin() as conn:
        before = [
            conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
            for t in ("trainguard_models", "trainguard_validations")
        ]
    proc = run_cli("pipeline", "run", "p", "--date", "2026-05-18", env={**env, "TRAINGUARD_PIPELINES_DIR": str(folder)})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1
    with sa.create_engine(settings.warehouse_url).begin() as conn:
        after = [
            conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
            for t in ("trainguard_models", "trainguard_validations")
        ]
    assert after == before


def test_one_dag_per_pipeline_file_and_a_broken_file_spares_the_others(tmp_path):
    for name in ("alpha", "beta"):
        (tmp_path / f"{name}.yaml").write_text(
            textwrap.dedent(REGRESSION.format(estimator="x.Y", params="{}")).replace("delivery_time", name)
        )
    (tmp_path / "broken.yaml").write_text("name: broken\ntable: [not, a, name]\n")
    code = (
        "import sys\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        f"bag = DagBag(dag_folder={str(REPO / 'dags')!r})\n"
        "heavy = [m for m in ('great_expectations', 'sklearn', 'pandas') if m in sys.modules]\n"
        "print(sorted(bag.dag_ids)); print(bag.import_errors); print(heavy)\n"
        "print([str(w) for ws in getattr(bag, 'captured_warnings', {}).values() for w in ws])\n"
    )
    env = {
        **__import__("os").environ,
        "TRAINGUARD_PIPELINES_DIR": str(tmp_path),
        "TRAINGUARD_WAREHOUSE_URL": "postgresql+psycopg2://nobody@127.0.0.1:1/none",
    }
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    dag_ids, errors, heavy, warned = proc.stdout.splitlines()[-4:]
    assert dag_ids == "['trainguard_alpha', 'trainguard_beta']"
    assert errors == "{}" and heavy == "[]"
    assert "pipeline skipped:" in warned and "broken.yaml: date_column: is required" in warned


def test_a_window_with_too_few_validated_days_is_a_configuration_error(orders):
    _, env, pipelines = orders
    text = REGRESSION.format(estimator="sklearn.linear_model.Ridge", params="{}").replace("delivery_time", "short")
    (pipelines / "short.yaml").write_text(
        textwrap.dedent(text).replace("train_window_days: 10", "train_window_days: 5")
    )
    # 2026-05-02: the table starts on 05-01 (which fails its day-over-day volume check, having
    # no day before it), so the window holds one validated day; 2 + 2 holdout are needed.
    proc = run_cli("pipeline", "run", "short", "--date", "2026-05-02", env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert (
        "short.yaml: train_window_days: only 1 validated day(s) of orders in the window ending 2026-05-02"
        in proc.stderr
    )
