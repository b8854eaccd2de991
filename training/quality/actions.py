"""A checkpoint action that records each validation's outcome in the warehouse.

It runs on every path that runs a checkpoint (CLI, the GX provider's Airflow operator, plain
GX), so training can ask which days passed without re-reading GX's result files.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

from great_expectations.checkpoint.actions import ValidationAction

if TYPE_CHECKING:
    from great_expectations.checkpoint.actions import ActionContext
    from great_expectations.checkpoint.checkpoint import CheckpointResult

log = logging.getLogger(__name__)


class RecordOutcomeAction(ValidationAction):
    """Insert one row per validation into ``trainguard_validations``, and its numeric observed
    values (drift scores among them) into ``trainguard_observations``; then refresh trainguard's
    site pages and make the pages just written offline."""

    type: Literal["trainguard_record_outcome"] = "trainguard_record_outcome"
    name: str = "record_outcome"

    def run(self, checkpoint_result: CheckpointResult, action_context: ActionContext | None = None) -> dict:
        from pathlib import Path

        from training.errors import WarehouseError
        from training.quality.docs import finish_site, suite_page
        from training.quality.history import lost_connection, observation_rows, outcome_rows, record_outcomes
        from training.quality.index_once import defer_pages
        from training.settings import current_settings

        lost = lost_connection(checkpoint_result)
        if lost is not None:
            # Not a verdict on the data: record nothing, so a rerun decides.
            raise WarehouseError(f"lost the warehouse connection during validation: {lost}")
        pages = self._get_data_docs_pages_from_prior_action(action_context) or {}
        rows = outcome_rows(checkpoint_result, pages)
        record_outcomes(rows, observed=observation_rows(checkpoint_result))
        # The docs action just wrote these pages with CDN links (the validation's and its suite's);
        # make them (and the index) offline.
        settings = current_settings()
        written = [Path(p["local_site"].removeprefix("file://")) for p in pages.values() if p.get("local_site")]
        suites = {result.suite_name for result in checkpoint_result.run_results.values()}
        written += [page for page in (suite_page(settings.data_docs_dir, s) for s in suites) if page.is_file()]
        if defer_pages(written):  # a range run: done once at its end, with the index
            return {"recorded": len(rows)}
        try:
            finish_site(settings, written)
        except Exception:  # the outcome is recorded; a docs problem must not turn the run into a crash
            log.warning("could not refresh trainguard's Data Docs pages", exc_info=True)
        return {"recorded": len(rows)}
