"""Everything known about one model, for ``trainguard model show``: registry record, metrics,
slices, metadata, its latest validation (with the Data Docs page) and its promotions."""

from __future__ import annotations

from typing import Any

from training.core.settings import Settings, get_settings
from training.gx.record.history import latest_outcomes
from training.model.metadata import META_SPLIT
from training.model.registry import get_model, promotion_history
from training.warehouse.engine import get_engine
from training.warehouse.model_status import STATUS_HELP


def model_report(model_id: str, checkpoint: str, settings: Settings | None = None) -> dict[str, Any]:
    settings = settings or get_settings()
    engine = get_engine(settings.warehouse_url)
    record = get_model(engine, model_id)
    metrics = record.pop("metrics")
    outcome = latest_outcomes(engine, checkpoint, [model_id]).get(model_id)
    return {
        **record,
        # Kept for --json readers; the same fact as ``status == "production"``.
        "is_production": record["status"] == "production",
        "metrics": {k: v for k, v in metrics.items() if not k.startswith("slice:") and k != META_SPLIT},
        "slices": {k.removeprefix("slice:"): v for k, v in metrics.items() if k.startswith("slice:")},
        "metadata": metrics.get(META_SPLIT, {}),
        "validation": None
        if outcome is None
        else {
            "checkpoint": checkpoint,
            "success": bool(outcome["success"]),
            "failed": outcome["failed"],
            "evaluated": outcome["evaluated"],
            "run_at": outcome["run_at"],
            "docs_page": outcome["docs_page"],
        },
        "promotions": promotion_history(engine, model_id),
    }


def format_report(report: dict[str, Any]) -> str:
    lines = [
        f"model      {report['model_id']} ({report['status']}: {STATUS_HELP.get(report['status'], '')})",
        f"pipeline   {report['pipeline']}, trained for {report['trained_for']} on "
        f"{report['window_start']}..{report['window_end']} "
        f"({report['train_rows']} train / {report['holdout_rows']} holdout rows)",
        f"artifact   {report['path']}",
    ]
    for split, values in report["metrics"].items():
        lines.append(f"{split:<10} " + "  ".join(f"{k}={v:.4g}" for k, v in sorted(values.items())))
    if report["slices"]:
        worst = max(report["slices"].items(), key=lambda kv: kv[1].get("mae", 0))
        lines.append(
            f"slices     {len(report['slices'])}; highest mae {worst[0]} = {worst[1].get('mae', float('nan')):.4g}"
        )
    meta = report["metadata"]
    top = sorted((k for k in meta if k.startswith("importance:")), key=lambda k: -meta[k])[:3]
    if top:
        lines.append("top        " + ", ".join(f"{k.removeprefix('importance:')} {meta[k]:.3g}" for k in top))
    validation = report["validation"]
    if validation is None:
        lines.append("validation never ran")
    else:
        verdict = "passed" if validation["success"] else f"FAILED ({validation['failed']} of {validation['evaluated']})"
        lines.append(f"validation {validation['checkpoint']} {verdict} at {validation['run_at']}")
        if validation["docs_page"]:
            lines.append(f"Data Docs  {validation['docs_page']}")
    for p in report["promotions"]:
        kind = "forced" if p["forced"] else "promoted"
        lines.append(f"{kind:<10} {p['promoted_at']} (was {p['previous_model_id']}): {p['reason']}")
    return "\n".join(lines)
