"""The promotion gate: a model becomes production only after its model checkpoint passed."""

from __future__ import annotations

from dataclasses import dataclass

from training.core.errors import TrainguardError
from training.core.settings import Settings, get_settings
from training.gx.record.history import latest_outcomes
from training.model.registry import get_model, production_model, promote
from training.warehouse.engine import get_engine


class PromotionRefusedError(TrainguardError):
    """The model's validation did not pass (or never ran)."""


@dataclass(frozen=True)
class PromotionResult:
    pipeline: str
    model_id: str
    promoted: bool
    production: str | None
    reason: str


def force_promote(pipeline: str, model_id: str, reason: str, settings: Settings | None = None) -> PromotionResult:
    """A human override: promote ``model_id`` whatever its validation said, recording who-knows-why."""
    if not reason or not reason.strip():
        raise TrainguardError("a forced promotion needs a reason (--reason TEXT); it is kept in the audit trail")
    settings = settings or get_settings()
    engine = get_engine(settings.warehouse_url)
    owner = get_model(engine, model_id)["pipeline"]
    if owner != pipeline:
        raise TrainguardError(f"model {model_id} belongs to pipeline {owner!r}, not {pipeline!r}")
    text = f"forced: {reason.strip()}"
    promote(engine, pipeline, model_id, reason=text, forced=True)
    return PromotionResult(pipeline, model_id, True, model_id, text)


def promote_if_validated(
    pipeline: str, model_checkpoint: str, model_id: str, settings: Settings | None = None
) -> PromotionResult:
    """Promote ``model_id`` when its latest ``model_checkpoint`` validation passed; else refuse."""
    settings = settings or get_settings()
    engine = get_engine(settings.warehouse_url)
    get_model(engine, model_id)
    current = production_model(engine, pipeline)
    outcome = latest_outcomes(engine, model_checkpoint, [model_id]).get(model_id)
    if outcome is None or not outcome["success"]:
        # Nothing is written: the model's status follows from the recorded validation itself.
        state = "never ran" if outcome is None else "failed"
        if current == model_id:
            raise PromotionRefusedError(
                f"model {model_id} stays production for {pipeline}, but its latest {model_checkpoint!r} "
                f"validation {state}; promote a model that passes to replace it"
            )
        raise PromotionRefusedError(
            f"model {model_id} not promoted: its {model_checkpoint!r} validation {state}; "
            f"production stays {current or 'none'}"
        )
    if current == model_id:
        # A rerun of the run that promoted it: nothing changes, and no second audit row.
        return PromotionResult(pipeline, model_id, False, model_id, "already in production")
    promote(engine, pipeline, model_id, reason=f"passed {model_checkpoint}")
    return PromotionResult(pipeline, model_id, True, model_id, f"passed {model_checkpoint}")
