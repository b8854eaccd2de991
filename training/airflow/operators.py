"""The Airflow door onto trainguard's checkpoint runner: one task validates one batch.

``TrainguardCheckpointOperator.execute`` calls :func:`training.gx.run.run_checkpoint`, the same
runner behind ``trainguard checkpoint run``, so a day decides the same way from either door: the
runner's settings, table creation, reachability check, empty-batch record, warehouse-error
handling and the speed layer's hooks apply to both, and both write the same outcome row.

Why not the GX provider's ``GXValidateCheckpointOperator`` (provider 1.0)? Its ``execute`` opens
a context and calls ``Checkpoint.run`` itself: it bypasses the runner (an empty day raised an
unrecorded GX error, a lost warehouse looked like a failed validation), and it has no templated
fields. This operator therefore subclasses ``BaseOperator``; of the provider it keeps the
failure type (:class:`CheckpointFailed` is a ``GXValidationFailed``, so callbacks that look for
the provider's error still see it) and its XCom contract (the run's result is pushed as
``return_value`` whether the gate passed or not).

Task states:

- gate passed (possibly with failed non-critical expectations): success; the log leads with the
  verdict line and lists the warnings;
- validation failed (a failed critical expectation, or a batch without rows, which the runner
  records as failed): :class:`CheckpointFailed`, final (retrying will not change the data);
- configuration error (``TrainguardError``): ``AirflowFailException`` with its one-line message;
- warehouse unreachable or lost (``WarehouseError``): ``AirflowException``, so retries apply.

Nothing here touches GX or a database until ``execute``; GX is imported by the runner only.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException
from great_expectations_provider.common.errors import GXValidationFailed

from training.airflow.links import DataDocsLink

if TYPE_CHECKING:
    from training.gx.catalog import CheckpointInfo
    from training.gx.results import BatchResult


class CheckpointFailed(AirflowFailException, GXValidationFailed):
    """A validation failed: final (no retries), and the provider's ``GXValidationFailed`` too."""

    def __init__(self, message: str) -> None:
        GXValidationFailed.__init__(self, message=message)


class TrainguardCheckpointOperator(BaseOperator):
    """Run the named checkpoint of trainguard's GX project on one templated batch.

    :param checkpoint_name: checkpoint in ``great_expectations/checkpoints/``.
    :param batch_parameters: one entry keyed by the checkpoint's batch column (templated), e.g.
        ``{"ds": "{{ macros.ds_add(ds, -1) }}"}`` or ``{"model_id": "{{ ti.xcom_pull(...) }}"}``.
    :param by_date: whether the batch value is a day 'YYYY-MM-DD' (False for model checkpoints).

    The task log leads with the verdict and lists each failed expectation with its observed and
    expected values; the "Data Docs" link opens the run's validation page.
    """

    template_fields = (*BaseOperator.template_fields, "batch_parameters")
    template_fields_renderers = {"batch_parameters": "json"}
    operator_extra_links = (DataDocsLink(),)
    ui_color = "#ffe6cc"

    def __init__(
        self,
        *,
        checkpoint_name: str,
        batch_parameters: dict[str, Any] | None = None,
        by_date: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.checkpoint_name = checkpoint_name
        self.batch_parameters = batch_parameters if batch_parameters is not None else {}
        self.by_date = by_date
        self.data_docs_url: str | None = None

    def execute(self, context: Any) -> dict[str, Any]:
        from training.airflow.worker import log_where
        from training.core.errors import TrainguardError, WarehouseError

        try:
            log_where(self.log, context)
            with _quiet_gx_info():
                result = self._run()
        except WarehouseError as exc:
            # `from None`: the reason is in the message; the driver's and GX's frames add nothing.
            self.log.error("%s", exc)
            raise AirflowException(str(exc)) from None
        except TrainguardError as exc:
            self.log.error("%s", exc)
            raise AirflowFailException(str(exc)) from None
        return self._report(context, result)

    def _run(self) -> BatchResult:
        """Validate the rendered batch through the runner (what ``trainguard checkpoint run`` does)."""
        from training.core.settings import get_settings
        from training.gx.catalog import checkpoint_info
        from training.gx.run import run_checkpoint

        info = checkpoint_info(get_settings().gx_root, self.checkpoint_name)
        value = self._batch_value(info)
        return run_checkpoint(self.checkpoint_name, [value], by_date=self.by_date).results[0]

    def _batch_value(self, info: CheckpointInfo) -> str:
        """The one batch value of the rendered ``batch_parameters``, keyed by the batch column."""
        from training.core.errors import TrainguardError

        column = info.batch_column
        if column is None:
            raise TrainguardError(f"checkpoint {info.name!r} has no column-value batch definition")
        params = self.batch_parameters
        if not isinstance(params, dict) or list(params) != [column]:
            raise TrainguardError(
                f"The 'batch_parameters' parameter of task {self.task_id!r} must be a dict with the single key "
                f"{column!r} (the batch column of checkpoint {info.name!r}). Got {params!r} instead."
            )
        value = params[column]
        if value is None or str(value).strip() == "":
            raise TrainguardError(f"task {self.task_id!r}: batch parameter {column!r} rendered empty ({value!r})")
        return str(value)

    def _report(self, context: Any, result: BatchResult) -> dict[str, Any]:
        """Log the verdict, keep the Data Docs page for the link, push the result, fail if it failed."""
        from training.airflow.links import docs_url
        from training.gx.summary import format_batch

        self.data_docs_url = docs_url(result.docs_page)
        summary = format_batch(result)
        if result.docs_page and self.data_docs_url:
            # The served page, as the extra link opens it: a worker's file:// path opens nowhere else.
            summary = summary.replace(result.docs_page, self.data_docs_url)
        # Numbers observed by GX may be numpy scalars: XCom gets plain JSON.
        payload = json.loads(json.dumps(result.to_dict(), default=str))
        if not result.success:
            self.log.error("%s", summary)
            context["ti"].xcom_push(key="return_value", value=payload)
            raise CheckpointFailed(summary.splitlines()[0])
        if result.warnings:
            self.log.warning("%s", summary)
        else:
            self.log.info("%s", summary)
        return payload


@contextlib.contextmanager
def _quiet_gx_info() -> Iterator[None]:
    """GX logs hundreds of INFO lines while it is imported and a context opens ("Skipping
    registering function ..."), which buried a gate's verdict at the end of its task log; its
    warnings and errors still show."""
    gx_logger = logging.getLogger("great_expectations")
    level = gx_logger.level
    gx_logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        gx_logger.setLevel(level)
