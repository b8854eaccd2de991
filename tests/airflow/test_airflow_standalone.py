"""``trainguard airflow standalone``: Airflow and the Data Docs server come up on the embedded
defaults and stop cleanly on SIGTERM; ``airflow env`` prints the connection the DAG uses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port, make_project, run_cli

pytestmark = pytest.mark.airflow


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except OSError:
        return 0


def test_connection_for_each_warehouse_kind():
    from training.core.settings import airflow_connection

    assert json.loads(airflow_connection("sqlite:////data/w.db")) == {"conn_type": "sqlite", "host": "/data/w.db"}
    assert json.loads(airflow_connection("postgresql+psycopg2://ml:s3cret@db.internal:5433/warehouse")) == {
        "conn_type": "postgres",
        "host": "db.internal",
        "login": "ml",
        "password": "s3cret",
        "schema": "warehouse",
        "port": 5433,
    }


def test_airflow_env_prints_the_embedded_defaults_and_keeps_yours(tmp_path, monkeypatch):
    from training.airflow.standalone import standalone_env

    settings, env = make_project(tmp_path)
    monkeypatch.delenv("AIRFLOW_CONN_TRAINGUARD_WAREHOUSE")
    monkeypatch.setenv("AIRFLOW__CORE__PARALLELISM", "2")
    for name in ("AIRFLOW__API__PORT", "AIRFLOW__API__BASE_URL", "AIRFLOW__CORE__EXECUTION_API_SERVER_URL"):
        monkeypatch.delenv(name, raising=False)
    derived = standalone_env(settings)
    assert derived["AIRFLOW__CORE__PARALLELISM"] == "2"
    assert derived["AIRFLOW__API__WORKERS"] == "1"
    assert json.loads(derived["AIRFLOW_CONN_TRAINGUARD_WAREHOUSE"])["host"] == str(tmp_path / "warehouse.db")
    assert derived["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    assert "AIRFLOW__CORE__EXECUTION_API_SERVER_URL" not in derived  # `airflow env` leaves it to the port
    proc = run_cli("airflow", "env", env=env)
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.removeprefix("export ").split("=", 1) for line in proc.stdout.splitlines())
    assert json.loads(lines["AIRFLOW_CONN_TRAINGUARD_WAREHOUSE"].strip("'"))["host"] == str(tmp_path / "warehouse.db")
    assert lines["AIRFLOW__CORE__PARALLELISM"] == "2"
    assert "AIRFLOW__CORE__EXECUTION_API_SERVER_URL" not in lines


@pytest.mark.parametrize(
    ("given", "url"),
    [
        ({}, "http://localhost:8080/execution/"),
        ({"AIRFLOW__API__PORT": "9191"}, "http://localhost:9191/execution/"),
        ({"AIRFLOW__API__PORT": "9191", "AIRFLOW__API__BASE_URL": "/af/"}, "http://localhost:9191/af/execution/"),
        ({"AIRFLOW__API__PORT": "9191", "AIRFLOW__API__SSL_CERT": "/c.pem"}, "https://localhost:9191/execution/"),
        ({"AIRFLOW__API__BASE_URL": "https://af.example.com"}, None),  # Airflow derives it from the base URL
        ({"AIRFLOW__CORE__EXECUTION_API_SERVER_URL": "http://api:8080/execution/"}, "http://api:8080/execution/"),
    ],
)
def test_standalone_tasks_reach_the_execution_api_on_the_api_servers_port(given, url):
    """Airflow assumes the execution API at localhost:8080 unless told: standalone on another
    port then failed every task."""
    from training.airflow.standalone import STANDALONE_DEFAULTS, with_execution_api

    env = with_execution_api({**STANDALONE_DEFAULTS, **given})
    assert env.get("AIRFLOW__CORE__EXECUTION_API_SERVER_URL") == url


def test_standalone_starts_and_stops_cleanly(tmp_path):
    settings, env = make_project(tmp_path)
    api, docs = free_port(), free_port()
    env = {
        **os.environ,
        **env,
        "TRAINGUARD_AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__API__PORT": str(api),
        "TRAINGUARD_DOCS_PORT": str(docs),
    }
    for key in ("AIRFLOW_HOME", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):
        env.pop(key)
    exe = Path(sys.executable).with_name("trainguard")
    with open(tmp_path / "standalone.log", "w") as log:
        proc = subprocess.Popen([str(exe), "airflow", "standalone"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and _get(f"http://127.0.0.1:{api}/") != 200:
            assert proc.poll() is None, (tmp_path / "standalone.log").read_text()[-3000:]
            time.sleep(2)
        assert _get(f"http://127.0.0.1:{api}/") == 200, (tmp_path / "standalone.log").read_text()[-3000:]
        assert _get(f"http://127.0.0.1:{docs}/index.html") == 200
        assert (tmp_path / "airflow" / "simple_auth_manager_passwords.json.generated").is_file()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        assert _get(f"http://127.0.0.1:{api}/") == 0
        leftovers = subprocess.run(["pgrep", "-f", str(tmp_path / "airflow")], capture_output=True, text=True)
        assert leftovers.stdout.strip() == ""
    finally:
        if proc.poll() is None:
            proc.kill()
    assert settings.data_docs_dir.is_dir()
