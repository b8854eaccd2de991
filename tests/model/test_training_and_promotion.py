"""Training uses only validated days; the model check gates promotion; reruns do not duplicate."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from training.core.errors import TrainguardError
from training.demo.spec import DEMO_SPEC
from training.gx.run import run_checkpoint
from training.model.promotion import PromotionRefusedError, promote_if_validated
from training.model.registry import get_model, list_models, production_model, register_model
from training.model.train import train_for_day
from training.warehouse.tables import model_metrics

pytestmark = pytest.mark.usefixtures("demo_warehouse")


@pytest.fixture
def spec():
    """The demo pipeline under a name of its own, so that models promoted by other tests (the
    DAG's, the CLI's) are not the production model these tests compare with."""
    from dataclasses import replace

    return replace(DEMO_SPEC, pipeline=f"trips_{uuid.uuid4().hex[:8]}")


def test_trains_on_validated_days_of_the_window_with_the_last_as_holdout(settings):
    result = train_for_day(DEMO_SPEC, dt.date(2026, 9, 9), settings)
    assert result.holdout_days == ["2026-09-09"]
    assert result.train_days == [f"2026-09-0{d}" for d in range(3, 9)]
    assert result.metrics["holdout"]["mae"] < 2.5 and result.metrics["holdout"]["r2"] > 0.9


def test_unvalidated_days_are_never_trained_on(settings):
    # 2026-09-14 was seeded but never validated: the window holds no validated day at all.
    with pytest.raises(TrainguardError, match="2026-09-30 of trips: its 'trips_daily' validation has not been run"):
        train_for_day(DEMO_SPEC, dt.date(2026, 9, 30), settings)


def test_rerun_replaces_its_own_record(settings, demo_warehouse):
    first = train_for_day(DEMO_SPEC, dt.date(2026, 9, 8), settings)
    second = train_for_day(DEMO_SPEC, dt.date(2026, 9, 8), settings)
    assert first.model_id == second.model_id
    with demo_warehouse.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).where(model_metrics.c.model_id == first.model_id)).scalar_one()
    assert count == sum(len(values) for values in first.metrics.values())  # splits, slices, metadata


def test_model_is_promoted_only_after_its_check_passes(settings, demo_warehouse, spec):
    model_id = train_for_day(spec, dt.date(2026, 9, 7), settings).model_id
    with pytest.raises(PromotionRefusedError, match="never ran"):
        promote_if_validated(spec.pipeline, spec.model_checkpoint, model_id, settings)
    run = run_checkpoint(spec.model_checkpoint, [model_id], by_date=False, settings=settings)
    assert run.success
    promote_if_validated(spec.pipeline, spec.model_checkpoint, model_id, settings)
    assert production_model(demo_warehouse, spec.pipeline) == model_id


def test_a_model_worse_than_the_baseline_is_rejected_and_production_stays(settings, demo_warehouse, spec):
    good = train_for_day(spec, dt.date(2026, 9, 6), settings).model_id
    assert run_checkpoint(spec.model_checkpoint, [good], by_date=False, settings=settings).success
    promote_if_validated(spec.pipeline, spec.model_checkpoint, good, settings)

    record = {**get_model(demo_warehouse, good), "model_id": "worse-model", "status": "candidate"}
    record.pop("metrics")
    register_model(demo_warehouse, record, {"holdout": {"mae": 4.0, "rmse": 5.5}})
    run = run_checkpoint(spec.model_checkpoint, ["worse-model"], by_date=False, settings=settings)
    assert not run.success
    failure = run.results[0].failures[0]
    assert failure.expectation == "expect_model_metric_to_be_within_baseline"
    assert failure.observed["value"] == 4.0
    with pytest.raises(PromotionRefusedError, match="failed"):
        promote_if_validated(spec.pipeline, spec.model_checkpoint, "worse-model", settings)
    assert production_model(demo_warehouse, spec.pipeline) == good
    assert get_model(demo_warehouse, "worse-model")["status"] == "rejected"


def test_a_model_on_fewer_features_is_rejected_and_a_better_one_promoted(settings, demo_warehouse, spec):
    from dataclasses import replace

    good = train_for_day(spec, dt.date(2026, 9, 9), settings).model_id
    assert run_checkpoint(spec.model_checkpoint, [good], by_date=False, settings=settings).success
    promote_if_validated(spec.pipeline, spec.model_checkpoint, good, settings)

    weak_spec = replace(
        spec, numeric=("pickup_hour", "passengers"), categorical=("payment_type",), slice_by=("payment_type",)
    )
    weak = train_for_day(weak_spec, dt.date(2026, 9, 9), settings)
    run = run_checkpoint(spec.model_checkpoint, [weak.model_id], by_date=False, settings=settings)
    failed = {f.expectation: f for f in run.results[0].failures}
    assert "expect_model_metric_to_be_within_production" in failed
    assert failed["expect_model_metric_to_be_within_production"].observed["production_model"] == good
    assert "expect_model_top_features_to_be_stable" in failed  # distance_km is gone
    with pytest.raises(PromotionRefusedError):
        promote_if_validated(spec.pipeline, spec.model_checkpoint, weak.model_id, settings)
    assert production_model(demo_warehouse, spec.pipeline) == good

    assert run_checkpoint(spec.data_checkpoint, ["2026-09-10"], settings=settings).success  # the day's data gate
    better = train_for_day(spec, dt.date(2026, 9, 10), settings).model_id
    run = run_checkpoint(spec.model_checkpoint, [better], by_date=False, settings=settings)
    assert run.success, run.results[0].failures
    promote_if_validated(spec.pipeline, spec.model_checkpoint, better, settings)
    assert production_model(demo_warehouse, spec.pipeline) == better


def test_model_show_and_forced_promotion_are_recorded(settings, demo_warehouse):
    import json

    from tests.conftest import run_cli

    model_id = train_for_day(DEMO_SPEC, dt.date(2026, 9, 8), settings).model_id
    run_checkpoint(DEMO_SPEC.model_checkpoint, [model_id], by_date=False, settings=settings)
    proc = run_cli("model", "show", model_id, "--json")
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(proc.stdout)
    assert shown["metrics"]["holdout"]["mae"] > 0 and shown["slices"] and shown["metadata"]["rows:train"] > 0
    assert shown["validation"]["checkpoint"] == "trips_model" and shown["validation"]["docs_page"].startswith("file://")
    assert "importance:distance_km" in shown["metadata"]

    refused = run_cli("model", "promote", model_id, "--force")
    assert refused.returncode == 2 and "needs a reason" in refused.stderr
    before = production_model(demo_warehouse, DEMO_SPEC.pipeline)
    proc = run_cli("model", "promote", model_id, "--force", "--reason", "rollback after incident 42")
    assert proc.returncode == 0, proc.stderr
    assert production_model(demo_warehouse, DEMO_SPEC.pipeline) == model_id
    text = run_cli("model", "show", model_id).stdout
    assert f"(was {before}): forced: rollback after incident 42" in text


def test_a_crash_mid_promotion_leaves_the_previous_production_model(settings, demo_warehouse):
    from sqlalchemy import event

    from training.model.registry import promote, promotion_history

    before = production_model(demo_warehouse, DEMO_SPEC.pipeline)
    candidate = train_for_day(DEMO_SPEC, dt.date(2026, 9, 7), settings).model_id
    statuses = {m["model_id"]: m["status"] for m in list_models(demo_warehouse)}

    def crash(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO trainguard_production"):
            raise RuntimeError("power cut")

    event.listen(demo_warehouse, "before_cursor_execute", crash)
    try:
        with pytest.raises(RuntimeError, match="power cut"):
            promote(demo_warehouse, DEMO_SPEC.pipeline, candidate, reason="test")
    finally:
        event.remove(demo_warehouse, "before_cursor_execute", crash)
    assert production_model(demo_warehouse, DEMO_SPEC.pipeline) == before
    assert {m["model_id"]: m["status"] for m in list_models(demo_warehouse)} == statuses
    assert promotion_history(demo_warehouse, candidate) == []
