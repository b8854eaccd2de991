"""trainguard's custom GX expectations; importing this package registers all of them."""

from training.quality.expectations.model_baseline import ExpectModelMetricToBeWithinBaseline

__all__ = ["ExpectModelMetricToBeWithinBaseline"]
