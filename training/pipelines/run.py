"""``trainguard pipeline run``: data gate over the training window, training, model gate,
promotion, and a plain account of which model serves afterwards and why."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from training.core.errors import TrainguardError
from training.core.settings import Settings, get_settings
from training.model.pipeline_spec import PipelineSpec
from training.pipelines.checks import check_pipeline

EXIT_OK, EXIT_GATE_FAILED = 0, 1


@dataclass
class Stage:
    name: str  # data, train, model, promote
    ok: bool
    summary: str
    details: list[str] = field(default_factory=list)


@dataclass
class PipelineOutcome:
    pipeline: str
    day: str
    stages: list[Stage]
    model_id: str | None
    promoted: bool
    production: str | None
    reason: str

    @property
    def exit_code(self) -> int:
        return EXIT_OK if all(s.ok for s in self.stages) else EXIT_GATE_FAILED

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "exit_code": self.exit_code}


def _data_stage(spec: PipelineSpec, day: dt.date, settings: Settings, revalidate: bool) -> Stage:
    """Validate the window's days that have no recorded outcome yet (all with ``revalidate``),
    always including the run's own day."""
    from training.gx.record.history import latest_outcomes
    from training.gx.run import run_checkpoint
    from training.warehouse.engine import get_engine
    from training.warehouse.partitions import list_days

    engine = get_engine(settings.warehouse_url)
    start = day - dt.timedelta(days=spec.window_days(settings.train_window_days) - 1)
    present = list_days(engine, spec.table, spec.date_column, start, day)
    known = latest_outcomes(engine, spec.data_checkpoint, [d.isoformat() for d in present])
    todo = sorted({d for d in present if revalidate or d.isoformat() not in known} | {day})
    run = run_checkpoint(spec.data_checkpoint, [d.isoformat() for d in todo], settings=settings)
    outcomes = {key: bool(row["success"]) for key, row in known.items()}
    outcomes.update({r.batch_value: r.success for r in run.results})
    failed = sorted(k for k, ok in outcomes.items() if not ok)
    own = next(r for r in run.results if r.batch_value == day.isoformat())
    details = [
        f"{r.batch_value}: {r.error or f'{len(r.failures)} failed expectation(s)'}"
        for r in run.results
        if not r.success
    ]
    if not own.success:
        from training.gx.summary import format_batch

        details = format_batch(own).splitlines()
    passed = sum(outcomes.values())
    summary = (
        f"{spec.data_checkpoint}: {passed} of {len(outcomes)} day(s) in the window passed"
        f" ({len(run.results)} validated now)"
    )
    if not own.success:
        return Stage("data", False, f"{summary}; the run's day {day} FAILED, nothing is trained", details)
    if failed and spec.failed_days == "stop":
        return Stage(
            "data", False, f"{summary}; failed day(s) {', '.join(failed)} stop the run (failed_days: stop)", details
        )
    if failed:
        summary += f"; excluded: {', '.join(failed)}"
    return Stage("data", True, summary, details)


def _metric_text(spec: PipelineSpec, metrics: dict[str, float]) -> str:
    first = [spec.metric, *(m for m in metrics if m != spec.metric)]
    return ", ".join(f"{m} {metrics[m]:.4g}" for m in first if m in metrics)


def _refused_text(model_id: str, checkpoint: str, production: str | None) -> str:
    """Why nothing was promoted, in the words of the model's status (``rejected`` unless the
    model failing its re-check is the production model itself, which keeps serving)."""
    if production == model_id:
        return f"production model {model_id} failed its re-check by {checkpoint}; it stays production"
    return f"{model_id} rejected by {checkpoint}; production unchanged"


def run_pipeline(
    spec: PipelineSpec, day: dt.date, settings: Settings | None = None, *, revalidate: bool = False
) -> PipelineOutcome:
    """Run ``spec`` for ``day``; configuration problems raise, gate failures are in the outcome."""
    from training.model.gatekeeper import validate_and_promote
    from training.model.registry import production_model
    from training.model.train import TooFewDaysError, train_for_day
    from training.warehouse.engine import get_engine

    settings = settings or get_settings()
    check_pipeline(spec, settings)
    engine = get_engine(settings.warehouse_url)
    before = production_model(engine, spec.pipeline)
    data = _data_stage(spec, day, settings, revalidate)
    if not data.ok:
        return PipelineOutcome(
            spec.pipeline, day.isoformat(), [data], None, False, before, "the data gate failed; production unchanged"
        )
    try:
        trained = train_for_day(spec, day, settings)
    except TooFewDaysError as exc:
        raise TrainguardError(f"{spec.source or spec.pipeline}: train_window_days: {exc}") from None
    short = spec.estimator.rpartition(".")[2]
    where = (
        f"holdout {', '.join(trained.holdout_days)}"
        if trained.holdout_days
        else f"holdout {spec.holdout_fraction:.0%} of rows"
    )
    train = Stage(
        "train",
        True,
        f"{short} on {len(trained.train_days)} day(s), {trained.train_rows} rows; {where}, "
        f"{trained.holdout_rows} rows: {_metric_text(spec, trained.metrics['holdout'])} -> {trained.model_id}",
    )
    verdict = validate_and_promote(spec.gate, trained.model_id, settings)
    page = f" ({verdict.docs_page})" if verdict.docs_page else ""
    model = Stage(
        "model",
        verdict.passed,
        f"{verdict.checkpoint}: {'passed' if verdict.passed else 'FAILED'}{page}",
        verdict.failures,
    )
    stages = [data, train, model]
    if verdict.passed:
        stages.append(
            Stage(
                "promote",
                True,
                f"{trained.model_id} {'promoted' if verdict.promoted else 'unchanged'}: {verdict.reason}",
            )
        )
    reason = (
        f"{verdict.model_id} {'promoted' if verdict.promoted else 'kept'} ({verdict.reason})"
        if verdict.passed
        else _refused_text(verdict.model_id, verdict.checkpoint, verdict.production)
    )
    return PipelineOutcome(
        spec.pipeline, day.isoformat(), stages, trained.model_id, verdict.promoted, verdict.production, reason
    )


def format_outcome(outcome: PipelineOutcome) -> str:
    lines = [f"pipeline {outcome.pipeline} for {outcome.day}"]
    for stage in outcome.stages:
        lines.append(f"  {stage.name:<8} {'ok  ' if stage.ok else 'FAIL'} {stage.summary}")
        lines += [f"           {d.strip()}" for d in stage.details]
    lines.append(f"production: {outcome.production or 'none'} -- {outcome.reason}")
    return "\n".join(lines)
