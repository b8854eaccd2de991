"""Model checks against other models: the production model, the last N training runs of the
same pipeline, the model's own slices, and its metadata (size, cardinality, scale, importances).

The batch is one model's rows of ``trainguard_model_metrics``; earlier models are read from
trainguard's registry tables in the same warehouse (SQL only). When there is nothing to compare
with (first model, too little history) the result says so in ``details.reason`` and succeeds
only if the suite says ``if_no_history: pass``; nothing passes silently.
"""

from __future__ import annotations

import math
import statistics
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from great_expectations.compatibility import pydantic
from great_expectations.compatibility.sqlalchemy import sqlalchemy as sa
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine import PandasExecutionEngine, SqlAlchemyExecutionEngine
from great_expectations.expectations.expectation import BatchExpectation
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider

from training.quality.expectations.batches import batch_value
from training.quality.expectations.model_baseline import is_worse
from training.quality.expectations.ratios import RATIO_FORMULAS, ratio
from training.quality.expectations.rendering import TextRenderers

if TYPE_CHECKING:
    from great_expectations.execution_engine import ExecutionEngine

IF_NO_HISTORY_DESCRIPTION = "'fail' (default) or 'pass' when there is no production model or too little history."
DIRECTION_DESCRIPTION = "'lower_is_better' for errors, 'higher_is_better' for scores such as R^2."
METRIC_DESCRIPTION = "Name of the metric as recorded by training, e.g. 'mae'."
SPLIT_DESCRIPTION = "Data split the metric was measured on. Default 'holdout'."
RUNS_DESCRIPTION = "How many earlier training runs of the pipeline to look at."
META = "meta"


class ModelHistory(TableMetricProvider):
    """The batch's model, its pipeline's production model and its ``runs`` previous (not rejected)
    models, with each one's values in ``split``:
    ``{"model_id", "pipeline", "production", "previous", "values"}``."""

    metric_name = "trainguard.model.history"
    value_keys = ("split", "runs")
    default_kwarg_values = {"split": "holdout", "runs": 5}

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(
        cls,
        execution_engine: SqlAlchemyExecutionEngine,
        metric_domain_kwargs: dict,
        metric_value_kwargs: dict,
        metrics: dict[str, Any],
        runtime_configuration: dict,
    ) -> dict[str, Any]:
        from training.warehouse.tables import model_metrics, models, production

        selectable, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, MetricDomainTypes.TABLE)
        model_id = batch_value(execution_engine, "model_id", selectable)
        current = execution_engine.execute_query(sa.select(models).where(models.c.model_id == model_id)).first()
        if current is None:
            return {"model_id": model_id, "pipeline": None, "production": None, "previous": [], "values": {}}
        prod = execution_engine.execute_query(
            sa.select(production.c.model_id).where(production.c.pipeline == current.pipeline)
        ).scalar_one_or_none()
        earlier = sa.or_(
            models.c.trained_for < current.trained_for,
            sa.and_(models.c.trained_for == current.trained_for, models.c.created_at < current.created_at),
        )
        previous = execution_engine.execute_query(
            sa.select(models.c.model_id)
            # Rejected runs are not the history a new model should be like.
            .where(
                models.c.pipeline == current.pipeline,
                models.c.model_id != model_id,
                models.c.status != "rejected",
                earlier,
            )
            .order_by(models.c.trained_for.desc(), models.c.created_at.desc())
            .limit(int(metric_value_kwargs["runs"]))
        ).all()
        previous_ids = [r[0] for r in reversed(previous)]
        wanted = {model_id, *previous_ids, *([prod] if prod else [])}
        rows = execution_engine.execute_query(
            sa.select(model_metrics.c.model_id, model_metrics.c.metric, model_metrics.c.value).where(
                model_metrics.c.model_id.in_(sorted(wanted)), model_metrics.c.split == metric_value_kwargs["split"]
            )
        ).all()
        values: dict[str, dict[str, float]] = {}
        for mid, name, value in rows:
            values.setdefault(mid, {})[name] = float(value)
        return {
            "model_id": model_id,
            "pipeline": current.pipeline,
            "production": prod,
            "previous": previous_ids,
            "values": values,
        }


class ModelSlices(TableMetricProvider):
    """``{"overall": holdout value, "slices": {slice: value}}`` of one metric, from the batch."""

    metric_name = "trainguard.model.slices"
    value_keys = ("metric",)

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration):
        df, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, MetricDomainTypes.TABLE)
        rows = df[df["metric"] == metric_value_kwargs["metric"]][["split", "value"]].itertuples(index=False)
        return _slices([(r.split, r.value) for r in rows])

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration):
        selectable, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, MetricDomainTypes.TABLE)
        query = (
            sa.select(sa.column("split"), sa.column("value"))
            .select_from(selectable)
            .where(sa.column("metric") == metric_value_kwargs["metric"])
        )
        return _slices([(s, v) for s, v in execution_engine.execute_query(query).all()])


def _slices(rows: list[tuple[str, float]]) -> dict[str, Any]:
    overall = next((float(v) for s, v in rows if s == "holdout"), None)
    return {"overall": overall, "slices": {s: float(v) for s, v in rows if str(s).startswith("slice:")}}


class _AgainstHistory(TextRenderers, BatchExpectation):
    """Shared by the expectations that compare a model with other models."""

    if_no_history: Literal["fail", "pass"] = pydantic.Field("fail", description=IF_NO_HISTORY_DESCRIPTION)

    library_metadata: ClassVar[dict[str, Any]] = {
        "maturity": "experimental",
        "tags": ["trainguard", "model validation"],
        "contributors": ["trainguard"],
    }
    render_defaults: ClassVar[dict[str, Any]] = {"if_no_history": "fail"}

    def _no_history(self, reason: str, observed: Any = None) -> dict:
        passes = self.if_no_history == "pass"
        return {
            "success": passes,
            "result": {
                "observed_value": observed,
                "details": {
                    "reason": f"{reason} ({'passes' if passes else 'fails'}: if_no_history={self.if_no_history})"
                },
            },
        }


class ExpectModelMetricToBeWithinProduction(_AgainstHistory):
    __doc__ = f"""Expect a model metric not to be worse than the production model's by more than a threshold.

    With ``threshold`` 0 the model must be at least as good as production ("better than
    production"). The production model is the pipeline's current one in the registry.

    Args:
        metric (str): {METRIC_DESCRIPTION}
        threshold (float): Largest allowed ratio when worse: a fraction for 'relative_diff',
            a factor >= 1 for 'max_over_min'.
        split (str): {SPLIT_DESCRIPTION}
        ratio_formula (str): 'relative_diff' (default) or 'max_over_min'.
        direction (str): {DIRECTION_DESCRIPTION}
        if_no_history (str): {IF_NO_HISTORY_DESCRIPTION}
    """

    metric: str = pydantic.Field(description=METRIC_DESCRIPTION)
    threshold: float = pydantic.Field(ge=0)
    split: str = pydantic.Field("holdout", description=SPLIT_DESCRIPTION)
    ratio_formula: Literal[RATIO_FORMULAS] = "relative_diff"  # type: ignore[valid-type]
    direction: Literal["lower_is_better", "higher_is_better"] = "lower_is_better"

    metric_dependencies = ("trainguard.model.history",)
    success_keys = ("metric", "threshold", "split", "ratio_formula", "direction", "if_no_history")
    render_defaults: ClassVar[dict[str, Any]] = {
        "split": "holdout",
        "ratio_formula": "relative_diff",
        "direction": "lower_is_better",
        "if_no_history": "fail",
    }

    class Config:
        title = "Expect model metric to be within production"

    def _validate(
        self, metrics: dict, runtime_configuration: dict | None = None, execution_engine: ExecutionEngine | None = None
    ) -> dict:
        history = metrics["trainguard.model.history"]
        values = history["values"]
        current = values.get(history["model_id"], {}).get(self.metric)
        if current is None:
            return {
                "success": False,
                "result": {"observed_value": None, "details": {"reason": f"no {self.split} {self.metric} recorded"}},
            }
        prod = history["production"]
        if prod is None:
            return self._no_history(f"no production model yet for pipeline {history['pipeline']}", current)
        baseline = values.get(prod, {}).get(self.metric)
        if baseline is None:
            return self._no_history(f"production model {prod} has no {self.split} {self.metric}", current)
        found = ratio(self.ratio_formula, current, baseline)
        worse = is_worse(current, baseline, self.direction)
        return {
            "success": bool(not worse or found <= self.threshold),
            "result": {
                "observed_value": current,
                "details": {
                    "production_model": prod,
                    "baseline": baseline,
                    "ratio": None if math.isinf(found) else round(found, 6),
                    "ratio_formula": self.ratio_formula,
                    "worse_than_baseline": bool(worse),
                },
            },
        }

    @classmethod
    def _sentence(cls, kwargs: dict[str, Any]) -> str:
        return "$split $metric must not be worse than the production model's by more than $threshold ($ratio_formula)."

    @classmethod
    def _observed_text(cls, observed: Any, details: dict[str, Any]) -> str:
        side = "worse" if details.get("worse_than_baseline") else "better"
        found = details.get("ratio")
        shown = "infinite" if found is None else f"{found:.3f}"
        baseline, formula = details.get("baseline"), details.get("ratio_formula")
        return f"{observed:.4g} ({side} than production {baseline:.4g}; {formula} {shown})"


def relative_slope(values: list[float]) -> float:
    """Least-squares slope per run, divided by the mean: +0.05 = error growing 5% per run."""
    n = len(values)
    mean_x, mean_y = (n - 1) / 2, statistics.fmean(values)
    denominator = sum((i - mean_x) ** 2 for i in range(n))
    slope = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values)) / denominator
    return slope / abs(mean_y) if mean_y else (0.0 if slope == 0 else math.inf)


class ExpectModelMetricNotToTrendWorse(_AgainstHistory):
    __doc__ = f"""Expect a model metric not to degrade steadily over the last training runs.

    The values of the previous ``runs`` models of the pipeline and this one are fitted with a
    line; its slope divided by their mean is the relative change per run. For an error (lower
    is better) it must stay at or below ``max_relative_slope``; for a score, at or above its
    negative. Fewer than ``min_runs`` values in all is "too little history".

    Args:
        metric (str): {METRIC_DESCRIPTION}
        max_relative_slope (float): Largest allowed degradation per run, e.g. 0.05.
        split (str): {SPLIT_DESCRIPTION}
        runs (int): {RUNS_DESCRIPTION} Default 5.
        min_runs (int): Fewest values (this run included) to judge a trend. Default 3.
        direction (str): {DIRECTION_DESCRIPTION}
        if_no_history (str): {IF_NO_HISTORY_DESCRIPTION}
    """

    metric: str = pydantic.Field(description=METRIC_DESCRIPTION)
    max_relative_slope: float = pydantic.Field(ge=0)
    split: str = pydantic.Field("holdout", description=SPLIT_DESCRIPTION)
    runs: int = pydantic.Field(5, ge=1, description=RUNS_DESCRIPTION)
    min_runs: int = pydantic.Field(3, ge=2)
    direction: Literal["lower_is_better", "higher_is_better"] = "lower_is_better"

    metric_dependencies = ("trainguard.model.history",)
    success_keys = ("metric", "max_relative_slope", "split", "runs", "min_runs", "direction", "if_no_history")
    render_defaults: ClassVar[dict[str, Any]] = {"split": "holdout", "runs": 5, "if_no_history": "fail"}

    class Config:
        title = "Expect model metric not to trend worse"

    def _validate(
        self, metrics: dict, runtime_configuration: dict | None = None, execution_engine: ExecutionEngine | None = None
    ) -> dict:
        history = metrics["trainguard.model.history"]
        ordered = [*history["previous"], history["model_id"]]
        values = [history["values"].get(m, {}).get(self.metric) for m in ordered]
        values = [v for v in values if v is not None]
        if len(values) < self.min_runs:
            return self._no_history(
                f"only {len(values)} run(s) with {self.split} {self.metric}; a trend needs {self.min_runs}"
            )
        slope = relative_slope(values)
        degradation = slope if self.direction == "lower_is_better" else -slope
        return {
            "success": bool(degradation <= self.max_relative_slope),
            "result": {
                "observed_value": round(slope, 6),
                "details": {"values": [round(v, 6) for v in values], "max_relative_slope": self.max_relative_slope},
            },
        }

    @classmethod
    def _sentence(cls, kwargs: dict[str, Any]) -> str:
        return "$split $metric must not worsen by more than $max_relative_slope per run over the last $runs runs."

    @classmethod
    def _observed_text(cls, observed: Any, details: dict[str, Any]) -> str:
        shown = " -> ".join(f"{v:.3g}" for v in details.get("values", []))
        return f"{observed:+.1%} per run ({shown})"


class ExpectModelSlicesToBeConsistent(TextRenderers, BatchExpectation):
    __doc__ = f"""Expect no data slice's error to exceed the overall holdout error by more than a ratio.

    Slices are the holdout split by each value of each categorical feature (recorded by
    training as ``slice:<column>=<value>``). For an error, slice / overall must be at most
    ``max_ratio``; for a score, overall / slice. A model without slices or without an overall
    value fails with that reason.

    Args:
        metric (str): {METRIC_DESCRIPTION}
        max_ratio (float): Largest allowed ratio, e.g. 2.0.
        direction (str): {DIRECTION_DESCRIPTION}
    """

    metric: str = pydantic.Field(description=METRIC_DESCRIPTION)
    max_ratio: float = pydantic.Field(ge=1)
    direction: Literal["lower_is_better", "higher_is_better"] = "lower_is_better"

    library_metadata: ClassVar[dict[str, Any]] = _AgainstHistory.library_metadata
    metric_dependencies = ("trainguard.model.slices",)
    success_keys = ("metric", "max_ratio", "direction")

    class Config:
        title = "Expect model slices to be consistent"

    def _validate(
        self, metrics: dict, runtime_configuration: dict | None = None, execution_engine: ExecutionEngine | None = None
    ) -> dict:
        found = metrics["trainguard.model.slices"]
        overall, slices = found["overall"], found["slices"]
        if overall is None or not slices:
            reason = "no overall holdout value" if overall is None else "no slices recorded"
            return {"success": False, "result": {"observed_value": None, "details": {"reason": reason}}}
        ratios = {
            s: (v / overall if self.direction == "lower_is_better" else overall / v) if (overall and v) else math.inf
            for s, v in slices.items()
        }
        worst = max(ratios, key=ratios.get)
        return {
            "success": bool(ratios[worst] <= self.max_ratio),
            "result": {
                "observed_value": None if math.isinf(ratios[worst]) else round(ratios[worst], 6),
                "details": {
                    "worst_slice": worst,
                    "slice_value": slices[worst],
                    "overall": overall,
                    "slices": len(slices),
                },
            },
        }

    @classmethod
    def _sentence(cls, kwargs: dict[str, Any]) -> str:
        return "No slice's $metric may be worse than the overall holdout $metric by a ratio above $max_ratio."

    @classmethod
    def _observed_text(cls, observed: Any, details: dict[str, Any]) -> str:
        return (
            f"worst {details.get('worst_slice')}: {details.get('slice_value'):.4g} vs overall "
            f"{details.get('overall'):.4g} (ratio {observed:.3f}, {details.get('slices')} slices)"
        )


class ExpectModelMetadataToBeStable(_AgainstHistory):
    __doc__ = f"""Expect a model's metadata to stay close to the median of the previous training runs.

    Metadata keys are ``kind:name`` as recorded by training (rows:train, cardinality:<column>,
    mean/scale/min/max:<column>, importance:<feature>). Each key of the chosen ``kinds`` must be
    within ``threshold`` (relative_diff) of the median of the previous ``runs`` models.

    Args:
        kinds (list of str): Metadata kinds to compare. Default rows, cardinality, mean, scale, min, max.
        threshold (float): Largest relative difference, e.g. 0.5.
        runs (int): {RUNS_DESCRIPTION} Default 5.
        if_no_history (str): {IF_NO_HISTORY_DESCRIPTION}
    """

    kinds: list[str] = pydantic.Field(default_factory=lambda: ["rows", "cardinality", "mean", "scale", "min", "max"])
    threshold: float = pydantic.Field(ge=0)
    runs: int = pydantic.Field(5, ge=1, description=RUNS_DESCRIPTION)
    split: Literal["meta"] = pydantic.Field(META, description="Where training records metadata (fixed).")

    metric_dependencies = ("trainguard.model.history",)
    success_keys = ("kinds", "threshold", "runs", "if_no_history", "split")
    render_defaults: ClassVar[dict[str, Any]] = {"runs": 5, "if_no_history": "fail"}

    class Config:
        title = "Expect model metadata to be stable"

    def _validate(
        self, metrics: dict, runtime_configuration: dict | None = None, execution_engine: ExecutionEngine | None = None
    ) -> dict:
        history = metrics["trainguard.model.history"]
        values = history["values"]
        current = values.get(history["model_id"], {})
        previous = [values[m] for m in history["previous"] if m in values]
        if not previous:
            return self._no_history(f"no earlier model of pipeline {history['pipeline']} to compare metadata with")
        keys = sorted(k for k in current if k.split(":", 1)[0] in self.kinds)
        drifted = {}
        for key in keys:
            past = [p[key] for p in previous if key in p]
            if not past:
                continue
            reference = statistics.median(past)
            found = ratio("relative_diff", current[key], reference)
            if found > self.threshold:
                drifted[key] = {
                    "current": current[key],
                    "median": reference,
                    "relative_diff": None if math.isinf(found) else round(found, 4),
                }
        return {
            "success": not drifted,
            "result": {
                "observed_value": len(drifted),
                "details": {"compared": len(keys), "runs": len(previous), "drifted": drifted},
            },
        }

    @classmethod
    def _sentence(cls, kwargs: dict[str, Any]) -> str:
        return "Model metadata must stay within $threshold (relative) of the median of the last $runs runs."

    @classmethod
    def _observed_text(cls, observed: Any, details: dict[str, Any]) -> str:
        drifted = details.get("drifted") or {}
        shown = "; ".join(f"{k} {v['current']:.4g} vs {v['median']:.4g}" for k, v in list(drifted.items())[:3])
        return f"{observed} of {details.get('compared')} keys drifted" + (f": {shown}" if shown else "")


class ExpectModelTopFeaturesToBeStable(_AgainstHistory):
    __doc__ = f"""Expect the model's most important features to overlap with the previous model's.

    Importances are recorded by training (``importance:<feature>``: the estimator's
    ``feature_importances_`` or ``|coef_|``, else permutation importance on the holdout). The
    top ``k`` features of this model and of the production model (or, without one, of the last
    accepted training run) must share at least ``min_overlap``.

    Args:
        k (int): How many top features to compare. Default 3.
        min_overlap (int): Fewest shared features.
        if_no_history (str): {IF_NO_HISTORY_DESCRIPTION}
    """

    k: int = pydantic.Field(3, ge=1)
    min_overlap: int = pydantic.Field(ge=0)
    split: Literal["meta"] = pydantic.Field(META, description="Where training records metadata (fixed).")

    metric_dependencies = ("trainguard.model.history",)
    success_keys = ("k", "min_overlap", "if_no_history", "split")
    render_defaults: ClassVar[dict[str, Any]] = {"k": 3, "if_no_history": "fail"}

    class Config:
        title = "Expect model top features to be stable"

    def _validate(
        self, metrics: dict, runtime_configuration: dict | None = None, execution_engine: ExecutionEngine | None = None
    ) -> dict:
        history = metrics["trainguard.model.history"]
        values = history["values"]
        # The model it would replace; without one, the last accepted run.
        production = history["production"] if history["production"] != history["model_id"] else None
        reference = production or (history["previous"][-1] if history["previous"] else None)
        if reference is None or reference not in values:
            return self._no_history(f"no earlier model of pipeline {history['pipeline']} to compare importances with")
        now, before = _top(values.get(history["model_id"], {}), self.k), _top(values[reference], self.k)
        shared = [f for f in now if f in before]
        return {
            "success": len(shared) >= self.min_overlap,
            "result": {
                "observed_value": len(shared),
                "details": {"top": now, "previous_top": before, "previous_model": reference},
            },
        }

    @classmethod
    def _sentence(cls, kwargs: dict[str, Any]) -> str:
        return "At least $min_overlap of the top $k features must be among the replaced model's top $k."

    @classmethod
    def _observed_text(cls, observed: Any, details: dict[str, Any]) -> str:
        now, before = ", ".join(details.get("top", [])), ", ".join(details.get("previous_top", []))
        return f"{observed} shared: now {now}; before {before}"


def _top(meta: dict[str, float], k: int) -> list[str]:
    found = {key.split(":", 1)[1]: value for key, value in meta.items() if key.startswith("importance:")}
    return sorted(found, key=lambda f: (-found[f], f))[:k]
