"""What trainguard's own tasks (checkpoints, training, promotion, Data Docs) log first: the host
that runs them and the shared state they use.

With the CeleryExecutor a task runs on whichever worker takes it, not where the scheduler runs.
The only state tasks share across machines is the GX folder (suites, checkpoints, results and
the Data Docs site), the model store and the warehouse; naming them, with the worker's host, at
the top of every task log is what tells a misconfigured worker (another GX folder, a model store
that is not mounted) apart from a failed gate.
"""

from __future__ import annotations

import logging
from typing import Any


def log_where(log: logging.Logger, context: Any) -> None:
    """Log ``host H: GX folder G, model store M, warehouse W`` for the running task.

    The host is the task instance's, as Airflow recorded it (``[core] hostname_callable``), so
    the line and the UI's "Hostname" agree."""
    from training.core.settings import get_settings
    from training.warehouse.engine import masked_url

    settings = get_settings()
    host = getattr(context.get("ti"), "hostname", None) or "unknown host"
    log.info(
        "trainguard task on host %s: GX folder %s, model store %s, warehouse %s",
        host,
        settings.gx_root,
        settings.model_store,
        masked_url(settings.warehouse_url),
    )
