"""Checks of a pipeline against the world before it runs: the table and its columns, the data
checkpoint, the estimator class and its parameters. Errors name the file and the key."""

from __future__ import annotations

from training.core.errors import TrainguardError
from training.core.settings import Settings
from training.model.pipeline_spec import PipelineSpec
from training.pipelines.config import PipelineConfigError


def check_pipeline(spec: PipelineSpec, settings: Settings) -> None:
    """Raise :class:`PipelineConfigError` (or a warehouse error) unless ``spec`` can run."""
    from training.gx.catalog import checkpoint_info
    from training.model.estimators import make_estimator
    from training.warehouse.engine import check_reachable, get_engine
    from training.warehouse.identifiers import existing_columns

    source = spec.source or spec.pipeline

    def fail(key: str, problem: str) -> PipelineConfigError:
        return PipelineConfigError(f"{source}: {key}: {problem}")

    engine = get_engine(settings.warehouse_url)
    check_reachable(engine)
    try:
        columns = set(existing_columns(engine, spec.table))
    except TrainguardError as exc:
        raise fail("table", str(exc)) from None
    keyed = [
        ("date_column", [spec.date_column]),
        ("target", [spec.target]),
        ("features.numeric", spec.numeric),
        ("features.categorical", spec.categorical),
    ]
    for key, names in keyed:
        missing = [c for c in names if c not in columns]
        if missing:
            raise fail(key, f"column(s) {', '.join(missing)} not in table {spec.table!r}")
    try:
        info = checkpoint_info(settings.gx_root, spec.data_checkpoint)
    except TrainguardError as exc:
        raise fail("data_checkpoint", str(exc)) from None
    if (info.table, info.batch_column) != (spec.table, spec.date_column):
        raise fail(
            "data_checkpoint",
            f"{spec.data_checkpoint!r} validates {info.table}.{info.batch_column}, not {spec.table}.{spec.date_column}",
        )
    if spec.model_checkpoint and not (settings.gx_root / "checkpoints" / f"{spec.model_checkpoint}.json").is_file():
        raise fail("model_checkpoint", f"no checkpoint {spec.model_checkpoint!r} in {settings.gx_root / 'checkpoints'}")
    try:
        make_estimator(spec.estimator, spec.params, spec.task)
    except TrainguardError as exc:
        raise fail("model", str(exc)) from None
