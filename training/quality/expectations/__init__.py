"""trainguard's custom GX expectations; importing this package registers all of them."""

from training.quality.expectations.distinct import (
    ExpectColumnDistinctCountToBeBetween,
    ExpectColumnDistinctProportionToBeBetween,
)
from training.quality.expectations.drift import ExpectColumnJsDistanceToBeLessThan, ExpectColumnPsiToBeLessThan
from training.quality.expectations.interval import ExpectDayMetricToBeWithinRatioOfDaysBack
from training.quality.expectations.model_baseline import ExpectModelMetricToBeWithinBaseline
from training.quality.expectations.model_history import (
    ExpectModelMetadataToBeStable,
    ExpectModelMetricNotToTrendWorse,
    ExpectModelMetricToBeWithinProduction,
    ExpectModelSlicesToBeConsistent,
    ExpectModelTopFeaturesToBeStable,
)
from training.quality.expectations.modes import ExpectColumnModeToBeInSet
from training.quality.expectations.quantiles import ExpectColumnQuantilesToBeBetween
from training.quality.expectations.value_check import ExpectQueryValueToBeWithinTolerance

__all__ = [
    "ExpectColumnDistinctCountToBeBetween",
    "ExpectColumnDistinctProportionToBeBetween",
    "ExpectColumnJsDistanceToBeLessThan",
    "ExpectColumnModeToBeInSet",
    "ExpectColumnPsiToBeLessThan",
    "ExpectColumnQuantilesToBeBetween",
    "ExpectDayMetricToBeWithinRatioOfDaysBack",
    "ExpectModelMetadataToBeStable",
    "ExpectModelMetricNotToTrendWorse",
    "ExpectModelMetricToBeWithinBaseline",
    "ExpectModelMetricToBeWithinProduction",
    "ExpectModelSlicesToBeConsistent",
    "ExpectModelTopFeaturesToBeStable",
    "ExpectQueryValueToBeWithinTolerance",
]
