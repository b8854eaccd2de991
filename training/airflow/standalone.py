"""``airflow standalone`` for this project on the embedded defaults, plus the Data Docs server
its "Data Docs" links point to, with a clean stop on Ctrl-C.

Airflow standalone ignores SIGTERM's intent to stop its children quickly; it is started in its
own session and the whole process group gets SIGINT, then SIGTERM, then SIGKILL if needed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from training.core.settings import Settings, airflow_env

# Lighter than the defaults (32 task slots, 4 API workers): enough for daily gates.
STANDALONE_DEFAULTS = {
    "AIRFLOW__CORE__PARALLELISM": "4",
    "AIRFLOW__API__WORKERS": "1",
    "AIRFLOW__API__PORT": "8080",
}


def standalone_env(settings: Settings) -> dict[str, str]:
    """The process environment plus embedded defaults; variables you set win. The virtualenv's
    bin folder goes first on PATH: standalone starts its components as ``airflow ...``."""
    bin_dir = str(Path(sys.executable).parent)
    path = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
    return airflow_env(settings, {**STANDALONE_DEFAULTS, **os.environ, "PATH": path})


def with_execution_api(env: dict[str, str]) -> dict[str, str]:
    """``env`` plus the execution API's URL on the api-server's own port, unless it is set.

    Tasks report to ``[core] execution_api_server_url``; unset, Airflow 3.3 takes it from an
    absolute ``[api] base_url`` or else assumes ``http://localhost:8080`` (keeping a relative
    base_url's path) whatever ``AIRFLOW__API__PORT`` says, so on another port every task failed.
    Only for the standalone process itself: ``airflow env`` does not print it, so that a shell
    that evaluated its output still follows a later port change.
    """
    base = env.get("AIRFLOW__API__BASE_URL", "").strip()
    if env.get("AIRFLOW__CORE__EXECUTION_API_SERVER_URL") or base.startswith(("http://", "https://")):
        return env
    scheme = "https" if env.get("AIRFLOW__API__SSL_CERT") else "http"
    port = env.get("AIRFLOW__API__PORT", "").strip() or STANDALONE_DEFAULTS["AIRFLOW__API__PORT"]
    path = base.rstrip("/") if base.startswith("/") else ""
    return {**env, "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{scheme}://localhost:{port}{path}/execution/"}


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_group(proc: subprocess.Popen) -> None:
    """Stop Airflow's whole process group: SIGINT, then SIGTERM, then SIGKILL."""
    # Standalone stops its components on SIGINT within seconds but its own process may linger.
    for sig, wait in ((signal.SIGINT, 15), (signal.SIGTERM, 15), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            proc.poll()  # reap the leader, or it stays in the group as a zombie
            if not _group_alive(proc.pid):
                return
            time.sleep(0.5)
    proc.wait()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_standalone(settings: Settings) -> int:
    """Run until Ctrl-C or SIGTERM (then 0, once Airflow is gone); if Airflow exits by itself,
    its exit code."""
    from training.docs_site.build import build_docs
    from training.docs_site.serve import make_server

    env = with_execution_api(standalone_env(settings))
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    if not (settings.data_docs_dir / "index.html").is_file():
        build_docs(settings)
    server = make_server(settings.data_docs_dir, settings.docs_host, settings.docs_port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    airflow = Path(sys.executable).with_name("airflow")
    passwords = Path(env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated"
    print(
        f"Airflow UI: http://localhost:{env['AIRFLOW__API__PORT']} (user admin, password in {passwords} once started)\n"
        f"Data Docs:  {settings.docs_url}/index.html\n"
        "Unpause 'trainguard_demo' in the UI or with 'airflow dags unpause trainguard_demo'. Ctrl-C stops both.",
        flush=True,
    )
    proc = subprocess.Popen([str(airflow), "standalone"], env=env, start_new_session=True)
    # Ctrl-C, and SIGTERM from a service manager, both stop cleanly (SIGINT is ignored when the
    # command was started in the background, so install the handler explicitly).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        print("stopping Airflow...", flush=True)
        stop_group(proc)
        return 0
    finally:
        server.shutdown()
        server.server_close()
