"""docker-compose.yml and the Dockerfile, checked without a Docker engine: valid against the
vendored compose-spec schema, every referenced file exists, and no secret is committed."""

from __future__ import annotations

import json
import re
import subprocess

import jsonschema
import yaml

from tests.conftest import REPO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SCHEMA = json.loads((REPO / "tests" / "schemas" / "compose-spec.json").read_text())
AIRFLOW = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer")


def _errors(document: dict) -> list[str]:
    validator = jsonschema.Draft201909Validator(SCHEMA)
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(document)]


def test_compose_file_is_valid_against_the_compose_spec():
    assert _errors(COMPOSE) == []
    broken = json.loads(json.dumps(COMPOSE))
    broken["services"]["docs"]["restart_policy"] = "always"  # not a compose key
    broken["services"]["postgres"]["ports"] = "5432"  # must be a list
    assert len(_errors(broken)) >= 2


def test_stack_has_the_airflow_components_postgres_and_read_only_docs():
    services = COMPOSE["services"]
    assert {"postgres", "airflow-init", "docs", *AIRFLOW} <= set(services)
    env = services["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "${AIRFLOW_EXECUTOR:-LocalExecutor}"  # LocalExecutor by default
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
    assert env["TRAINGUARD_WAREHOUSE_URL"].startswith("${TRAINGUARD_WAREHOUSE_URL:-postgresql+psycopg2://")
    for name, service in services.items():
        if name != "airflow-init":
            assert "healthcheck" in service, name
    assert services["docs"]["read_only"] is True
    assert any(v.endswith(":ro") and "uncommitted" in v for v in services["docs"]["volumes"])
    assert services["docs"]["ports"] == ["127.0.0.1:${DOCS_PORT:-8765}:8765"]
    for name in AIRFLOW:
        assert services[name]["depends_on"] == {"airflow-init": {"condition": "service_completed_successfully"}}


def test_celery_profile_adds_redis_and_workers_that_share_only_the_gx_folder_and_model_store():
    services = COMPOSE["services"]
    assert services["redis"]["profiles"] == services["airflow-worker"]["profiles"] == ["celery"]
    assert services["flower"]["profiles"] == ["flower"]
    worker, scheduler = services["airflow-worker"], services["airflow-scheduler"]
    # The worker runs the image and mounts exactly what the scheduler mounts: the project files,
    # the GX folder's uncommitted part (results, site) and the model store.
    assert worker["image"] == scheduler["image"] and worker["volumes"] == scheduler["volumes"]
    assert {"gx-uncommitted:/opt/trainguard/great_expectations/uncommitted", "models:/opt/trainguard/var"} <= set(
        worker["volumes"]
    )
    env = worker["environment"]
    assert env == scheduler["environment"]
    assert env["AIRFLOW__CELERY__BROKER_URL"] == "${AIRFLOW_CELERY_BROKER_URL:-redis://redis:6379/0}"
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://")
    # The worker consumes the queue trainguard's tasks are sent to, "trainguard" unless set.
    assert env["TRAINGUARD_AIRFLOW_QUEUE"] == "${TRAINGUARD_AIRFLOW_QUEUE:-trainguard}"
    assert worker["command"] == ["airflow", "celery", "worker", "--queues", env["TRAINGUARD_AIRFLOW_QUEUE"]]
    assert worker["depends_on"]["redis"] == {"condition": "service_healthy"}
    assert "AIRFLOW_EXECUTOR=CeleryExecutor" in (REPO / ".env.example").read_text()


def test_every_referenced_file_exists():
    for name, service in COMPOSE["services"].items():
        if "build" in service:
            assert (REPO / service["build"] / "Dockerfile").is_file(), name
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{name}: {source}"
    for line in (REPO / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (REPO / source).exists(), line


def test_no_secret_is_committed_and_every_required_variable_is_documented():
    text = (REPO / "docker-compose.yml").read_text()
    required = set(re.findall(r"\$\{([A-Z_]+):\?", text))
    example = (REPO / ".env.example").read_text()
    documented = set(re.findall(r"^#? ?([A-Z_]+)=", example, flags=re.MULTILINE))
    assert required and required <= documented
    for key in ("POSTGRES_PASSWORD", "AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY"):
        for match in re.finditer(rf"{key}: (.+)", text):
            assert match.group(1).startswith("${"), f"{key} must come from the environment"
    ignored = subprocess.run(["git", "check-ignore", ".env"], cwd=REPO, capture_output=True, text=True, check=False)
    assert ignored.stdout.strip() == ".env"


def test_image_installs_pinned_requirements():
    assert "RUN pip install -r requirements.txt" in (REPO / "Dockerfile").read_text()
    lines = [line for line in (REPO / "requirements.txt").read_text().splitlines() if line and line[0] != "#"]
    assert [line for line in lines if not re.match(r"^[A-Za-z0-9_.\-\[\]]+==[^=]+$", line)] == []
