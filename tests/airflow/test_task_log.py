"""What a validation task's log shows: GX's import-time INFO chatter stays out of it.

A task process imports GX inside the operator's ``execute``; with Airflow's INFO logging, GX
logged 214 "Skipping registering function ..." lines there, burying the gate's verdict. The
verdict and failed checks leading the log, and the served Data Docs link, are asserted on a
real ``dag.test()`` log in ``test_dag.py``."""

from __future__ import annotations

import subprocess
import sys
import textwrap

TASK = textwrap.dedent(
    """
    import logging, sys
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(levelname)s %(name)s %(message)s")
    import training.airflow.operators as operators  # what a task process has after parsing the DAG
    assert "great_expectations" not in sys.modules
    quiet = operators._quiet_gx_info() if sys.argv[1] == "quiet" else __import__("contextlib").nullcontext()
    with quiet:
        from training.gx.run import run_checkpoint  # noqa: F401  (what execute imports)
        import great_expectations.expectations  # noqa: F401
        logging.getLogger("great_expectations").warning("a GX warning still shows")
    logging.getLogger("great_expectations").info("GX's INFO shows again after the task's run")
    """
)


def _task_output(mode: str) -> str:
    done = subprocess.run([sys.executable, "-c", TASK, mode], capture_output=True, text=True, check=True)
    return done.stdout


def test_gx_registration_chatter_is_kept_out_of_a_task_log():
    loud, quiet = _task_output("loud"), _task_output("quiet")
    assert loud.count("Skipping registering function") > 100  # what the log looked like
    assert "Skipping registering function" not in quiet
    assert "a GX warning still shows" in quiet
    assert "GX's INFO shows again after the task's run" in quiet
