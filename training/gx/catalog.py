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
    # A hand-edited file may be missing, truncated or hold another JSON value than an object:
    # each is one line naming the file (an AttributeError or KeyError further down was a traceback).
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise NotFoundError(f"{path} is missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TrainguardError(f"malformed JSON in {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise TrainguardError(f"malformed JSON in {path}: expected an object, got {type(data).__name__}")
    return data


def _datasources(gx_root: Path) -> dict[str, Any]:
    import yaml

    config_path = gx_root / "great_expectations.yml"
    if not config_path.is_file():
        raise TrainguardError(f"no GX project at {gx_root} (great_expectations.yml is missing)")
    try:
        config = yaml.safe_load(config_path.read_text()) or {}
    except yaml.YAMLError as exc:
        # PyYAML's message spans several lines (problem, then a caret under the line): one line.
        raise TrainguardError(f"malformed YAML in {config_path}: {' '.join(str(exc).split())}") from exc
    if not isinstance(config, dict):
        raise TrainguardError(f"malformed YAML in {config_path}: expected a mapping")
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
    refs = checkpoint.get("validation_definitions", [])
    if not isinstance(refs, list) or not isinstance(checkpoint.get("actions", []), list):
        raise TrainguardError(f"invalid checkpoint {path}: 'validation_definitions' and 'actions' must be lists")
    for ref in refs:
        ref_name = ref.get("name") if isinstance(ref, dict) else None
        definition_path = gx_root / "validation_definitions" / f"{ref_name}.json"
        if not isinstance(ref_name, str) or not definition_path.is_file():
            raise NotFoundError(f"checkpoint {path} names validation definition {ref_name!r}, which does not exist")
        definition = _read_json(definition_path)
        try:
            suites.append(definition["suite"]["name"])
            assets.append(definition["data"])
        except (KeyError, TypeError):
            raise TrainguardError(f"invalid validation definition {definition_path}: no suite or data") from None
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
    source, asset_name = data["datasource"]["name"], data["asset"]["name"]
    if source not in datasources:
        raise NotFoundError(f"a validation definition names datasource {source!r}, which great_expectations.yml lacks")
    if asset_name not in (datasources[source].get("assets") or {}):
        raise NotFoundError(f"a validation definition names asset {asset_name!r}, which datasource {source!r} lacks")
    asset = datasources[source]["assets"][asset_name]
    batch_definition = (asset.get("batch_definitions") or {}).get(data["batch_definition"]["name"], {})
    partitioner = batch_definition.get("partitioner") or {}
    table = asset.get("table_name", data["asset"]["name"])
    if isinstance(table, str) and len(table) > 2 and table[0] == table[-1] == '"':
        table = table[1:-1]  # a quoted name for GX (a reserved word, capitals): the table itself
    return table, partitioner.get("column_name")


def suite_expectation_types(gx_root: Path, name: str) -> list[str]:
    """The expectation types stored in suite ``name``'s JSON file."""
    path = gx_root / "expectations" / f"{name}.json"
    if not path.is_file():
        raise NotFoundError(f"unknown suite {name!r} ({path} is missing)")
    expectations = _read_json(path).get("expectations", [])
    if not isinstance(expectations, list) or not all(isinstance(e, dict) for e in expectations):
        raise TrainguardError(f"invalid suite {path}: 'expectations' must be a list of objects")
    return [e.get("type") for e in expectations]


# The table every model checkpoint validates, one batch per ``model_id`` (the registry's
# metrics, ``training.warehouse.tables.model_metrics``, whose committed asset and generated
# ``<pipeline>_model`` checkpoints both read it); a checkpoint on any other table is by day.
MODEL_METRICS_TABLE = "trainguard_model_metrics"


def validates_models(info: CheckpointInfo) -> bool:
    """Whether ``info``'s batches are models (``--model ID``) rather than days (``--date D``)."""
    return any(table == MODEL_METRICS_TABLE for table, _ in info.tables or ((info.table, info.batch_column),))


@dataclass(frozen=True)
class SuiteInfo:
    """A suite, how many expectations it holds, the tables its validation definitions read and
    the checkpoints that run it."""

    name: str
    expectations: int
    tables: tuple[str, ...]
    checkpoints: tuple[str, ...]


def suite_names(gx_root: Path) -> list[str]:
    folder = gx_root / "expectations"
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def _definition_names(gx_root: Path, checkpoint: str) -> list[str]:
    path = gx_root / "checkpoints" / f"{checkpoint}.json"
    refs = _read_json(path).get("validation_definitions", [])
    return (
        [ref["name"] for ref in refs if isinstance(ref, dict) and isinstance(ref.get("name"), str)]
        if isinstance(refs, list)
        else []
    )


def checkpoint_files(gx_root: Path, name: str) -> tuple[Path, list[Path], list[str]]:
    """What deleting checkpoint ``name`` removes: its file and the files of its validation
    definitions that no other checkpoint uses; and the names of the shared ones it keeps."""
    path = gx_root / "checkpoints" / f"{name}.json"
    if not path.is_file():
        known = ", ".join(checkpoint_names(gx_root)) or "none"
        raise NotFoundError(f"unknown checkpoint {name!r} (known: {known})")
    others = {d for other in checkpoint_names(gx_root) if other != name for d in _definition_names(gx_root, other)}
    own = _definition_names(gx_root, name)
    folder = gx_root / "validation_definitions"
    files = [folder / f"{d}.json" for d in own if d not in others and (folder / f"{d}.json").is_file()]
    return path, files, [d for d in own if d in others]


def suite_info(gx_root: Path, name: str) -> SuiteInfo:
    """Resolve suite ``name`` to its expectation count, tables and checkpoints."""
    if not (gx_root / "expectations" / f"{name}.json").is_file():
        raise NotFoundError(f"unknown suite {name!r} (known: {', '.join(suite_names(gx_root)) or 'none'})")
    count = len(suite_expectation_types(gx_root, name))
    folder = gx_root / "validation_definitions"
    definitions = {p.stem: _read_json(p) for p in sorted(folder.glob("*.json"))} if folder.is_dir() else {}
    mine = {
        d
        for d, body in definitions.items()
        if isinstance(body.get("suite"), dict) and body["suite"].get("name") == name
    }
    tables: list[str] = []
    if mine:
        datasources = _datasources(gx_root)
        for d in sorted(mine):
            try:
                table = _table_and_column(datasources, definitions[d]["data"])[0]
            except (KeyError, TypeError, TrainguardError):
                continue  # a definition whose asset is gone names no table
            if table not in tables:
                tables.append(table)
    users = tuple(c for c in checkpoint_names(gx_root) if mine & set(_definition_names(gx_root, c)))
    return SuiteInfo(name=name, expectations=count, tables=tuple(tables), checkpoints=users)
