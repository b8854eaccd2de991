"""What the GX project defines, read from its files without importing GX.

Listing checkpoints and resolving which table and column a checkpoint's batch is cut on must be
fast (the CLI's ``checkpoint list`` and pre-run checks), so this reads the committed JSON and
YAML directly; running anything goes through :mod:`training.gx.context`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.core.errors import NotFoundError, TrainguardError


@dataclass(frozen=True)
class CheckpointInfo:
    """A checkpoint and the batch it validates (first validation definition; ``tables`` holds
    the (table, batch column) of every one)."""

    name: str
    suites: tuple[str, ...]
    asset: str
    table: str
    batch_column: str | None
    tables: tuple[tuple[str, str | None], ...] = ()


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise TrainguardError(f"malformed JSON in {path}: {exc}") from exc


def _datasources(gx_root: Path) -> dict[str, Any]:
    import yaml

    config_path = gx_root / "great_expectations.yml"
    if not config_path.is_file():
        raise TrainguardError(f"no GX project at {gx_root} (great_expectations.yml is missing)")
    try:
        config = yaml.safe_load(config_path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise TrainguardError(f"malformed YAML in {config_path}: {exc}") from exc
    return config.get("fluent_datasources") or {}


def checkpoint_names(gx_root: Path) -> list[str]:
    folder = gx_root / "checkpoints"
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def checkpoint_info(gx_root: Path, name: str) -> CheckpointInfo:
    """Resolve ``name`` to its suites, asset, table and batch column."""
    path = gx_root / "checkpoints" / f"{name}.json"
    if not path.is_file():
        known = ", ".join(checkpoint_names(gx_root)) or "none"
        raise NotFoundError(f"unknown checkpoint {name!r} (known: {known})")
    checkpoint = _read_json(path)
    suites, assets = [], []
    for ref in checkpoint.get("validation_definitions", []):
        definition = _read_json(gx_root / "validation_definitions" / f"{ref['name']}.json")
        suites.append(definition["suite"]["name"])
        assets.append(definition["data"])
    if not assets:
        raise TrainguardError(f"checkpoint {name!r} has no validation definitions")
    datasources = _datasources(gx_root)
    tables = tuple(_table_and_column(datasources, data) for data in assets)
    return CheckpointInfo(
        name=name,
        suites=tuple(suites),
        asset=assets[0]["asset"]["name"],
        table=tables[0][0],
        batch_column=tables[0][1],
        tables=tables,
    )


def _table_and_column(datasources: dict[str, Any], data: dict[str, Any]) -> tuple[str, str | None]:
    """The table a validation definition's asset reads and the column its batches are cut on."""
    asset = datasources[data["datasource"]["name"]]["assets"][data["asset"]["name"]]
    batch_definition = (asset.get("batch_definitions") or {}).get(data["batch_definition"]["name"], {})
    partitioner = batch_definition.get("partitioner") or {}
    return asset.get("table_name", data["asset"]["name"]), partitioner.get("column_name")


def suite_expectation_types(gx_root: Path, name: str) -> list[str]:
    """The expectation types stored in suite ``name``'s JSON file."""
    path = gx_root / "expectations" / f"{name}.json"
    if not path.is_file():
        raise NotFoundError(f"unknown suite {name!r} ({path} is missing)")
    return [e.get("type") for e in _read_json(path).get("expectations", [])]
