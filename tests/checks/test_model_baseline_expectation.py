"""ExpectModelMetricToBeWithinBaseline on the pandas engine (the SQL engine runs in the DAG and
CLI tests), including the cases that must not silently pass."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from training.checks import ExpectModelMetricToBeWithinBaseline
from training.checks.ratios import ratio

METRICS = pd.DataFrame(
    {
        "model_id": ["m1"] * 4,
        "split": ["train", "holdout", "holdout", "holdout"],
        "metric": ["mae", "mae", "rmse", "r2"],
        "value": [1.1, 3.2, 4.0, 0.9],
    }
)


@pytest.fixture(scope="module")
def batch():
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    asset = context.data_sources.add_pandas("metrics").add_dataframe_asset("model_metrics")
    return asset.add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": METRICS})


@pytest.mark.parametrize(
    ("kwargs", "success"),
    [
        ({"metric": "mae", "baseline": 3.0, "threshold": 0.1}, True),  # 6.7% worse, allowed 10%
        ({"metric": "mae", "baseline": 2.5, "threshold": 0.1}, False),  # 28% worse
        ({"metric": "mae", "baseline": 5.0, "threshold": 0.0}, True),  # better than baseline
        ({"metric": "mae", "baseline": 2.5, "threshold": 1.2, "ratio_formula": "max_over_min"}, False),
        ({"metric": "mae", "baseline": 2.5, "threshold": 1.3, "ratio_formula": "max_over_min"}, True),
        ({"metric": "mae", "split": "train", "baseline": 1.0, "threshold": 0.05}, False),
        ({"metric": "r2", "baseline": 0.95, "threshold": 0.1, "direction": "higher_is_better"}, True),
        ({"metric": "r2", "baseline": 0.95, "threshold": 0.01, "direction": "higher_is_better"}, False),
    ],
)
def test_verdicts(batch, kwargs, success):
    result = batch.validate(ExpectModelMetricToBeWithinBaseline(**kwargs))
    assert result.success is success
    assert result.result["observed_value"] == pytest.approx(
        METRICS.query(f"metric == '{kwargs['metric']}' and split == '{kwargs.get('split', 'holdout')}'")["value"].item()
    )


def test_missing_metric_fails_and_says_why(batch):
    result = batch.validate(ExpectModelMetricToBeWithinBaseline(metric="log_loss", baseline=0.3, threshold=0.1))
    assert result.success is False
    assert result.result["details"]["reason"] == "no holdout value recorded for metric 'log_loss'"


def test_renderers_are_readable(batch):
    expectation = ExpectModelMetricToBeWithinBaseline(metric="mae", baseline=2.5, threshold=0.1)
    result = batch.validate(expectation)
    (block,) = ExpectModelMetricToBeWithinBaseline._prescriptive_renderer(configuration=expectation.configuration)
    template = block.string_template
    assert template["template"].startswith("$split $metric must not be worse than the baseline $baseline")
    assert template["params"]["split"] == "holdout"  # default applied although not stored
    observed = ExpectModelMetricToBeWithinBaseline._diagnostic_observed_value_renderer(result=result)
    assert observed == "3.2 vs baseline 2.5: worse by relative_diff 0.28, at most 0.1 allowed"
    better = batch.validate(ExpectModelMetricToBeWithinBaseline(metric="mae", baseline=4.0, threshold=0.1))
    shown = ExpectModelMetricToBeWithinBaseline._diagnostic_observed_value_renderer(result=better)
    assert shown == "3.2 vs baseline 4: better"


def test_ratio_formulas():
    assert ratio("relative_diff", 3.0, 2.0) == 0.5
    assert ratio("max_over_min", 2.0, 3.0) == 1.5
    assert ratio("relative_diff", 0.0, 0.0) == 0.0
    assert math.isinf(ratio("max_over_min", 0.0, 5.0))  # a collapse to zero is never ignored
    with pytest.raises(ValueError, match="ratio_formula must be one of"):
        ratio("ratio", 1.0, 1.0)
