"""The GX provider's checkpoint operator, bound to trainguard's file context and templated.

``GXValidateCheckpointOperator`` (provider 1.0) has no templated fields, so a daily batch would
validate whatever partition GX finds first; this subclass templates ``batch_parameters`` so each
run validates the day derived from its logical date. Nothing here touches GX or a database
until ``execute``.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException
from great_expectations_provider.common.errors import GXValidationFailed
from great_expectations_provider.operators.validate_checkpoint import GXValidateCheckpointOperator

from training.airflow.links import DataDocsLink

if TYPE_CHECKING:
    from great_expectations.data_context import AbstractDataContext, FileDataContext

log = logging.getLogger(__name__)


def open_file_context() -> FileDataContext:
    from training.gx.context import open_context

    return open_context()


class _ResultKeepingCheckpoint:
    """Wraps a Checkpoint so the operator can report the failed expectations after the run."""

    def __init__(self, checkpoint: Any, context: AbstractDataContext, info: Any) -> None:
        self.checkpoint = checkpoint
        self.context = context
        self.info = info
        self.result: Any = None

    def run(self, **kwargs: Any) -> Any:
        from training.core.settings import get_settings
        from training.gx_speedups.known_batch import known_batch
        from training.warehouse.engine import get_engine
        from training.warehouse.partitions import batch_has_rows

        column = self.info.batch_column
        value = (kwargs.get("batch_parameters") or {}).get(column)
        # A day known to have rows skips GX's listing of every batch in the table (a full scan).
        known = value is not None and batch_has_rows(
            get_engine(get_settings().warehouse_url), self.info.table, column, str(value)
        )
        with known_batch(column, str(value)) if known else contextlib.nullcontext():
            self.result = self.checkpoint.run(**kwargs)
        return self.result


class TrainguardCheckpointOperator(GXValidateCheckpointOperator):
    """Run the named checkpoint of trainguard's GX project on templated batch parameters.

    :param checkpoint_name: checkpoint in ``great_expectations/checkpoints/``.
    :param batch_parameters: e.g. ``{"ds": "{{ macros.ds_add(ds, -1) }}"}`` (templated).

    A failed validation fails the task without retries (the data will not change by retrying)
    and logs each failed expectation with its observed and expected values.
    """

    template_fields = (*GXValidateCheckpointOperator.template_fields, "batch_parameters")
    template_fields_renderers = {"batch_parameters": "json"}
    operator_extra_links = (DataDocsLink(),)
    ui_color = "#ffe6cc"

    def __init__(self, *, checkpoint_name: str, batch_parameters: dict[str, Any] | None = None, **kwargs: Any):
        super().__init__(
            configure_checkpoint=self._configure_checkpoint,
            batch_parameters=batch_parameters,
            context_type="file",
            configure_file_data_context=open_file_context,
            **kwargs,
        )
        self.checkpoint_name = checkpoint_name
        self.data_docs_url: str | None = None
        self._wrapped: _ResultKeepingCheckpoint | None = None

    def _configure_checkpoint(self, gx_context: AbstractDataContext) -> _ResultKeepingCheckpoint:
        from training.core.settings import get_settings
        from training.gx.catalog import checkpoint_info
        from training.gx.context import check_suites_complete

        info = checkpoint_info(get_settings().gx_root, self.checkpoint_name)
        check_suites_complete(gx_context, info.suites)
        self._wrapped = _ResultKeepingCheckpoint(gx_context.checkpoints.get(self.checkpoint_name), gx_context, info)
        return self._wrapped

    def execute(self, context: Any) -> None:
        # Airflow runs a copy of the parsed operator; bind the callback to the instance that runs.
        self.configure_checkpoint = self._configure_checkpoint
        try:
            super().execute(context)
        except GXValidationFailed as exc:
            # GX fails the validation on any failed expectation; the gate only on critical ones.
            result = self._result()
            summary = self._summary(result)
            if result is not None and result.success:
                log.warning("%s", summary)
                return
            log.error("%s", summary)
            raise AirflowFailException(f"checkpoint {self.checkpoint_name} failed:\n{summary}") from exc
        log.info("%s", self._summary(self._result()))

    def _result(self) -> Any:
        """The run's BatchResult (failures, warnings, verdict of the gate), or None."""
        from training.gx.run import batch_result_from_gx

        wrapped = self._wrapped
        if wrapped is None or wrapped.result is None:
            return None
        value = str(next(iter(self.batch_parameters.values()), ""))
        return batch_result_from_gx(wrapped.context, wrapped.info, value, None, wrapped.result)

    def _summary(self, result: Any) -> str:
        """The failed expectations for the log; also remembers the run's Data Docs page."""
        from training.airflow.links import docs_url
        from training.gx.summary import format_batch

        if result is None:
            return f"checkpoint {self.checkpoint_name} did not run"
        self.data_docs_url = docs_url(result.docs_page)
        return format_batch(result)
