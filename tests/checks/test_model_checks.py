"""The model expectations against other models, on synthetic registry rows (deterministic),
on SQLite and on PostgreSQL with the same answers."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
import sqlalchemy as sa

from tests.conftest import postgres_database
from training.checks import (
    ExpectModelMetadataToBeStable,
    ExpectModelMetricNotToTrendWorse,
    ExpectModelMetricToBeWithinProduction,
    ExpectModelSlicesToBeConsistent,
    ExpectModelTopFeaturesToBeStable,
)

# Five runs of one pipeline; m5 is the new one. Its error has grown steadily, its airport slice is
# bad, its training set shrank, and its most important features changed.
MAES = {"m1": 1.70, "m2": 1.74, "m3": 1.79, "m4": 1.85, "m5": 1.92}


def _meta(model: str) -> dict[str, float]:
    late = model == "m5"
    importances = {"distance_km": 2.0, "pickup_zone": 0.3, "pickup_hour": 0.1, "tip_rate": 0.0, "passengers": 0.0}
    if late:
        importances = {"distance_km": 0.1, "pickup_zone": 0.05, "pickup_hour": 0.0, "tip_rate": 0.9, "passengers": 0.8}
    return {
        "rows:train": 4000.0 if late else 8000.0,
        "cardinality:pickup_zone": 10.0,
        "mean:distance_km": 5.1,
        **{f"importance:{k}": v for k, v in importances.items()},
    }


def _seed(engine: sa.Engine) -> None:
    from training.model.registry import promote, register_model

    for i, (model, mae) in enumerate(MAES.items()):
        day = dt.date(2026, 9, 10 + i)
        record = {
            "model_id": model,
            "pipeline": "p",
            "trained_for": day.isoformat(),
            "window_start": day.isoformat(),
            "window_end": day.isoformat(),
            "train_rows": 1,
            "holdout_rows": 1,
            "path": "/nowhere",
            "created_at": dt.datetime(2026, 9, 10 + i, tzinfo=dt.UTC),
            "status": "candidate",
        }
        slices = {
            "slice:zone=airport": {"mae": mae * (2.6 if model == "m5" else 1.4)},
            "slice:zone=north": {"mae": mae},
        }
        register_model(engine, record, {"holdout": {"mae": mae}, **slices, "meta": _meta(model)})
    register_model(
        engine,
        {**record, "model_id": "lonely", "pipeline": "new_pipeline"},
        {"holdout": {"mae": 1.0}, "meta": _meta("m1")},
    )
    promote(engine, "p", "m3", reason="test")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def batch_for(request, tmp_path_factory):
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('models') / 'w.db'}"
        else:
            url = stack.enter_context(postgres_database("trainguard_models"))
        yield from _batches(url)


def _batches(url: str):
    from great_expectations.core.partitioners import PartitionerColumnValue

    import great_expectations as gx

    engine = sa.create_engine(url)
    _seed(engine)
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_sql("w", connection_string=url)
    asset = source.add_table_asset("model_metrics", table_name="trainguard_model_metrics")
    per_model = asset.add_batch_definition(
        "per_model", partitioner=PartitionerColumnValue(column_name="model_id"), validate_partitioner=False
    )
    yield lambda model: per_model.get_batch(batch_parameters={"model_id": model})
    engine.dispose()


def _check(batch_for, model, expectation):
    result = batch_for(model).validate(expectation)
    assert not result.exception_info.get("raised_exception"), result.exception_info
    return result


def test_against_production(batch_for):
    worse = _check(batch_for, "m5", ExpectModelMetricToBeWithinProduction(metric="mae", threshold=0.05))
    assert worse.success is False
    assert worse.result["details"]["production_model"] == "m3"
    assert worse.result["details"]["ratio"] == pytest.approx((1.92 - 1.79) / 1.79, abs=1e-6)
    better = _check(batch_for, "m1", ExpectModelMetricToBeWithinProduction(metric="mae", threshold=0.0))
    assert better.success is True  # "better than production"
    text = ExpectModelMetricToBeWithinProduction._diagnostic_observed_value_renderer(result=worse)
    assert text == "1.92 vs production 1.79 (model m3): worse by relative_diff 0.07263, at most 0.05 allowed"
    # The production model against itself is equal, not "better".
    same = _check(batch_for, "m3", ExpectModelMetricToBeWithinProduction(metric="mae", threshold=0.0))
    shown = ExpectModelMetricToBeWithinProduction._diagnostic_observed_value_renderer(result=same)
    assert same.success is True and shown == "1.79 vs production 1.79 (model m3): equal"


@pytest.mark.parametrize("if_no_history", ["fail", "pass"])
def test_first_model_says_there_is_nothing_to_compare(batch_for, if_no_history):
    for expectation in (
        ExpectModelMetricToBeWithinProduction(metric="mae", threshold=0.05, if_no_history=if_no_history),
        ExpectModelMetricNotToTrendWorse(metric="mae", max_relative_slope=0.05, if_no_history=if_no_history),
        ExpectModelMetadataToBeStable(threshold=0.5, if_no_history=if_no_history),
        ExpectModelTopFeaturesToBeStable(min_overlap=2, if_no_history=if_no_history),
    ):
        result = _check(batch_for, "lonely", expectation)
        assert result.success is (if_no_history == "pass")
        reason = result.result["details"]["reason"]
        assert "no production model yet" in reason or "no earlier model" in reason or "run(s)" in reason, reason
        assert f"if_no_history={if_no_history}" in reason


def test_error_trend(batch_for):
    rising = _check(batch_for, "m5", ExpectModelMetricNotToTrendWorse(metric="mae", max_relative_slope=0.02))
    assert rising.success is False
    assert rising.result["details"]["values"] == [1.7, 1.74, 1.79, 1.85, 1.92]
    assert rising.result["observed_value"] == pytest.approx(0.0305, abs=1e-3)
    tolerant = _check(batch_for, "m5", ExpectModelMetricNotToTrendWorse(metric="mae", max_relative_slope=0.05))
    assert tolerant.success is True
    short = _check(batch_for, "m2", ExpectModelMetricNotToTrendWorse(metric="mae", max_relative_slope=0.05))
    assert short.success is False and "only 2 run(s)" in short.result["details"]["reason"]


def test_slices(batch_for):
    bad = _check(batch_for, "m5", ExpectModelSlicesToBeConsistent(metric="mae", max_ratio=2.0))
    assert bad.success is False
    assert bad.result["details"]["worst_slice"] == "slice:zone=airport"
    assert bad.result["observed_value"] == pytest.approx(2.6)
    assert _check(batch_for, "m4", ExpectModelSlicesToBeConsistent(metric="mae", max_ratio=2.0)).success is True
    none = _check(batch_for, "lonely", ExpectModelSlicesToBeConsistent(metric="mae", max_ratio=2.0))
    assert none.success is False and none.result["details"]["reason"] == "no slices recorded"


def test_metadata_and_top_features(batch_for):
    meta = _check(batch_for, "m5", ExpectModelMetadataToBeStable(threshold=0.3))
    assert meta.success is False
    assert set(meta.result["details"]["drifted"]) == {"rows:train"}
    assert _check(batch_for, "m4", ExpectModelMetadataToBeStable(threshold=0.3)).success is True
    importance = _check(batch_for, "m5", ExpectModelMetadataToBeStable(threshold=0.3, kinds=["importance"]))
    assert importance.success is False
    top = _check(batch_for, "m5", ExpectModelTopFeaturesToBeStable(min_overlap=2))
    assert top.success is False
    assert top.result["details"]["top"] == ["tip_rate", "passengers", "distance_km"]
    assert top.result["details"]["previous_top"] == ["distance_km", "pickup_zone", "pickup_hour"]
    assert _check(batch_for, "m4", ExpectModelTopFeaturesToBeStable(min_overlap=3)).success is True
