"""trainguard: data and model quality gates for ML training pipelines."""

from training import extensions

__version__ = "0.1.0"

# Every use of the package (CLI, Airflow, the Python API, plain imports of the runner) opens GX
# contexts with trainguard's extensions; nothing is imported or patched until a context opens.
extensions.enable()
