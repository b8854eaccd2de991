"""A checkpoint action that records each validation's outcome in the warehouse.

It runs on every path that runs a checkpoint (CLI, the GX provider's Airflow operator, plain
GX), so training can ask which days passed without re-reading GX's result files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from great_expectations.checkpoint.actions import ValidationAction

if TYPE_CHECKING:
    from great_expectations.checkpoint.actions import ActionContext
    from great_expectations.checkpoint.checkpoint import CheckpointResult


class RecordOutcomeAction(ValidationAction):
    """Insert one row per validation into ``trainguard_validations``, and its numeric observed
    values (drift scores among them) into ``trainguard_observations``; then run the registered
    ``hooks.after_record`` (the Data Docs site refreshes trainguard's pages there)."""

    type: Literal["trainguard_record_outcome"] = "trainguard_record_outcome"
    name: str = "record_outcome"

    def run(self, checkpoint_result: CheckpointResult, action_context: ActionContext | None = None) -> dict:
        from pathlib import Path

        from training.core.errors import WarehouseError
        from training.core.settings import current_settings
        from training.gx import hooks
        from training.gx.record.history import lost_connection, observation_rows, outcome_rows, record_outcomes

        lost = lost_connection(checkpoint_result)
        if lost is not None:
            # Not a verdict on the data: record nothing, so a rerun decides.
            raise WarehouseError(f"lost the warehouse connection during validation: {lost}")
        pages = self._get_data_docs_pages_from_prior_action(action_context) or {}
        rows = outcome_rows(checkpoint_result, pages)
        record_outcomes(rows, observed=observation_rows(checkpoint_result))
        written = [Path(p["local_site"].removeprefix("file://")) for p in pages.values() if p.get("local_site")]
        suites = {result.suite_name for result in checkpoint_result.run_results.values()}
        for after in hooks.after_record:  # the Data Docs site's refresh (registered by training.extensions)
            after(current_settings(), written, suites)
        return {"recorded": len(rows)}
