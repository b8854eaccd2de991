"""The model gate: run a model's checkpoint, then promote it only if every expectation passed."""

from __future__ import annotations

from dataclasses import dataclass, field

from training.core.settings import Settings, get_settings
from training.gx.run import run_checkpoint
from training.model.gate import ModelGate
from training.model.promotion import PromotionRefusedError, promote_if_validated
from training.model.registry import production_model, store_statuses
from training.model.suite import ensure_model_checkpoint
from training.warehouse.engine import get_engine


@dataclass(frozen=True)
class ModelVerdict:
    """What the gate decided for one model, and which model serves afterwards."""

    pipeline: str
    model_id: str
    checkpoint: str
    passed: bool
    promoted: bool
    production: str | None
    reason: str
    failures: list[str] = field(default_factory=list)
    docs_page: str | None = None


def validate_and_promote(gate: ModelGate, model_id: str, settings: Settings | None = None) -> ModelVerdict:
    """Validate ``model_id`` with ``gate``'s checkpoint (generated if needed); promote on success."""
    from training.gx.summary import format_failure

    settings = settings or get_settings()
    checkpoint = ensure_model_checkpoint(gate, settings)
    run = run_checkpoint(checkpoint, [model_id], by_date=False, settings=settings)
    result = run.results[0]
    failures = [format_failure(f).strip() for f in result.failures] or ([result.error] if result.error else [])
    # The check just recorded decides candidate or rejected; keep the stored column in step.
    store_statuses(get_engine(settings.warehouse_url), gate.pipeline)
    try:
        promotion = promote_if_validated(gate.pipeline, checkpoint, model_id, settings)
    except PromotionRefusedError as exc:
        current = production_model(get_engine(settings.warehouse_url), gate.pipeline)
        return ModelVerdict(
            gate.pipeline, model_id, checkpoint, False, False, current, str(exc), failures, result.docs_page
        )
    return ModelVerdict(
        gate.pipeline,
        model_id,
        checkpoint,
        True,
        promotion.promoted,
        promotion.production,
        promotion.reason,
        [],
        result.docs_page,
    )
