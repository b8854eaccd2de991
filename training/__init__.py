"""trainguard: data and model quality gates for ML training pipelines."""

__version__ = "0.1.0"
