# trainguard + Airflow 3 image, from the pinned requirements. Used by docker-compose.yml for
# every Airflow component and for the Data Docs server.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TRAINGUARD_HOME=/opt/trainguard \
    AIRFLOW_HOME=/opt/airflow

WORKDIR /opt/trainguard

RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*

COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY pyproject.toml README.md ./
COPY training ./training
COPY dags ./dags
COPY pipelines ./pipelines
COPY great_expectations ./great_expectations
RUN pip install --no-deps -e . \
    && useradd --create-home --uid 50000 trainguard \
    && mkdir -p var /opt/airflow great_expectations/uncommitted \
    && chown -R trainguard /opt/trainguard/var /opt/airflow /opt/trainguard/great_expectations

USER trainguard
