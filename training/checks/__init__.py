"""trainguard's custom GX expectations; importing this package registers all of them."""

from training.checks.data.distinct import (
    ExpectColumnDistinctCountToBeBetween,
    ExpectColumnDistinctProportionToBeBetween,
)
from training.checks.data.drift import ExpectColumnJsDistanceToBeLessThan, ExpectColumnPsiToBeLessThan
from training.checks.data.history_band import ExpectDayStatisticToBeWithinHistoryBand
from training.checks.data.interval import ExpectDayMetricToBeWithinRatioOfDaysBack
from training.checks.data.modes import ExpectColumnModeToBeInSet
from training.checks.data.quantiles import ExpectColumnQuantilesToBeBetween
from training.checks.data.value_check import ExpectQueryValueToBeWithinTolerance
from training.checks.model.baseline import ExpectModelMetricToBeWithinBaseline
from training.checks.model.metadata import ExpectModelMetadataToBeStable
from training.checks.model.production import ExpectModelMetricToBeWithinProduction
from training.checks.model.slices import ExpectModelSlicesToBeConsistent
from training.checks.model.top_features import ExpectModelTopFeaturesToBeStable
from training.checks.model.trend import ExpectModelMetricNotToTrendWorse

__all__ = [
    "ExpectColumnDistinctCountToBeBetween",
    "ExpectColumnDistinctProportionToBeBetween",
    "ExpectColumnJsDistanceToBeLessThan",
    "ExpectColumnModeToBeInSet",
    "ExpectColumnPsiToBeLessThan",
    "ExpectColumnQuantilesToBeBetween",
    "ExpectDayMetricToBeWithinRatioOfDaysBack",
    "ExpectDayStatisticToBeWithinHistoryBand",
    "ExpectModelMetadataToBeStable",
    "ExpectModelMetricNotToTrendWorse",
    "ExpectModelMetricToBeWithinBaseline",
    "ExpectModelMetricToBeWithinProduction",
    "ExpectModelSlicesToBeConsistent",
    "ExpectModelTopFeaturesToBeStable",
    "ExpectQueryValueToBeWithinTolerance",
]
