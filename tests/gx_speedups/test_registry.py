"""The speed layer is declared, switchable and version-gated, and leaves other GX users alone."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import REPO, make_project, postgres_database, run_cli, statements_sent

# Run in a fresh process: validate one demo day with run_checkpoint, then report the verdict, the
# failed expectations and which GX methods are trainguard's wrappers.
_PROBE = textwrap.dedent(
    """
    import json, sys
    if sys.argv[1] == "unverified":
        import importlib.metadata as metadata
        real = metadata.version
        metadata.version = lambda name: "9.9.9" if name == "great_expectations" else real(name)
    import training
    from training.gx.run import run_checkpoint
    run = run_checkpoint("trips_daily", ["2026-09-12"])
    from great_expectations.expectations.expectation import Expectation
    from great_expectations.core.id_dict import IDDict
    from great_expectations.validator.validation_graph import ValidationGraph
    from great_expectations.datasource.fluent.sql_datasource import SqlPartitionerColumnValue
    from training.gx_speedups import registry
    methods = [Expectation._get_success_kwarg, IDDict.to_id, ValidationGraph._resolve,
               SqlPartitionerColumnValue.param_defaults]
    result = run.results[0]
    print(json.dumps({
        "on": registry.is_on(),
        "wrapped": [m.__qualname__ for m in methods
                    if m.__module__.startswith("training") or getattr(m, "__trainguard_speedup__", False)],
        "success": result.success,
        "failures": sorted((f.expectation, json.dumps(f.expected, sort_keys=True, default=str), str(f.observed))
                           for f in result.failures + result.warnings),
    }))
    """
)


def _probe(env: dict[str, str], mode: str = "as-is") -> tuple[dict, str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, env={**os.environ, **env}, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


@pytest.fixture(scope="module")
def seeded_project(tmp_path_factory):
    base = tmp_path_factory.mktemp("layer")
    _, env = make_project(base)
    seeded = run_cli(
        "demo",
        "seed",
        "--start",
        "2026-09-01",
        "--end",
        "2026-09-12",
        "--skew",
        "2026-09-12:null_burst:distance_km",
        env=env,
    )
    assert seeded.returncode == 0, seeded.stderr
    return env


def test_every_wrapper_is_declared_with_an_existing_guard():
    from training.gx_speedups import registry

    package = REPO / "training" / "gx_speedups"
    modules = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    declared = [s.module for s in registry.SPEEDUPS]
    assert len(declared) == len(set(declared))
    assert modules == set(declared) | set(registry.HELPERS)
    for speedup in registry.SPEEDUPS:
        path, _, test = speedup.guarded_by.partition("::")
        assert (REPO / path).is_file(), speedup
        if test:
            tree = ast.parse((REPO / path).read_text())
            assert test in {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}, speedup
    # Only the registry may name GX's installed version; modules install through it.
    assert all(v for v in registry.VERIFIED.values())


@pytest.fixture(scope="module")
def layer_on(seeded_project):
    return _probe(seeded_project)


def test_layer_off_leaves_gx_untouched_and_gives_the_same_verdict(seeded_project, layer_on):
    on, on_err = layer_on
    off, off_err = _probe({**seeded_project, "TRAINGUARD_GX_SPEEDUPS": "off"})
    assert on["on"] is True and len(on["wrapped"]) == 4
    assert off["on"] is False and off["wrapped"] == []
    assert "speed layer" not in on_err + off_err  # switched off on purpose: nothing to say
    # The skewed day fails, with the same failed expectations and observed values either way.
    assert on["success"] is off["success"] is False
    assert on["failures"] == off["failures"] and on["failures"]


def test_an_unverified_gx_version_runs_stock_gx_and_says_so_in_one_line(seeded_project, layer_on):
    stock, err = _probe(seeded_project, "unverified")
    lines = [line for line in err.splitlines() if "speed layer" in line]
    assert lines == [lines[0]] and "great_expectations 9.9.9" in lines[0] and "running stock GX" in lines[0]
    assert "Traceback" not in err
    assert stock["on"] is False and stock["wrapped"] == []
    on, _ = layer_on
    assert stock["failures"] == on["failures"] and stock["success"] == on["success"]


def test_a_bad_switch_value_is_a_one_line_usage_error(seeded_project):
    done = run_cli(
        "checkpoint",
        "run",
        "trips_daily",
        "--date",
        "2026-09-12",
        env={**seeded_project, "TRAINGUARD_GX_SPEEDUPS": "fast"},
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "TRAINGUARD_GX_SPEEDUPS" in done.stderr


def _gx_batch(url: str, table: str):
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    return context.data_sources.add_postgres("w", connection_string=url).add_table_asset(table, table)


def test_session_options_only_while_active():
    """GX's own PostgreSQL sessions get trainguard's options inside ``active()`` only."""
    from training.extensions import install
    from training.gx_speedups.registry import active

    install()
    with postgres_database("trainguard_layer") as url:
        with sa.create_engine(url).begin() as conn:
            conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
        engine = _gx_batch(url, "t").datasource.get_engine()

        def jit() -> str:
            engine.dispose()  # a new session: options are set when it opens
            with engine.connect() as conn:
                return conn.execute(sa.text("SHOW jit")).scalar_one()

        outside = jit()
        with active():
            inside = jit()
        engine.dispose()
    assert (outside, inside) == ("on", "off")


def test_decimals_convert_to_the_same_floats_without_a_stack_walk(monkeypatch, caplog):
    """Inside ``active()`` GX's Decimal serialization gives the same floats and the same warning,
    without ``inspect.stack()``; outside it GX's own function runs (and walks the stack)."""
    import decimal

    import great_expectations.util as gx_util

    from training.extensions import install
    from training.gx_speedups.registry import active

    install()
    values = [decimal.Decimal("1.7551501492892772"), decimal.Decimal("0.5"), decimal.Decimal("-3")]
    stock = [gx_util.convert_to_json_serializable(v) for v in values]
    walks = []
    monkeypatch.setattr(gx_util, "stack", lambda: walks.append(1) or [])
    with caplog.at_level("WARNING", logger="great_expectations.util"):
        caplog.clear()  # the stock conversions above logged theirs
        with active():
            fast = [gx_util.convert_to_json_serializable(v) for v in values]
        assert not walks
        lossy = [r.getMessage() for r in caplog.records]
        gx_util.convert_to_json_serializable(values[0])
    assert fast == stock and [type(v) for v in fast] == [type(v) for v in stock]
    assert lossy == ["Using lossy conversion for decimal 1.7551501492892772 to float object to support serialization."]
    assert walks == [1]


def test_known_batch_is_per_table():
    """A day known to have rows in one table skips that table's batch listing only: another
    table of the same checkpoint without rows that day still finds no batch, as in GX."""
    from great_expectations.core.partitioners import PartitionerColumnValue

    from training.extensions import install
    from training.gx_speedups.known_batch import known_batch
    from training.gx_speedups.registry import active

    install()
    with postgres_database("trainguard_known") as url:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            for table, days in (("a", ["2026-09-01", "2026-09-02"]), ("b", ["2026-09-01"])):
                conn.execute(sa.text(f"CREATE TABLE {table} (ds TEXT, x INTEGER)"))
                conn.execute(sa.text(f"INSERT INTO {table} VALUES (:ds, 1)"), [{"ds": d} for d in days])
        engine.dispose()
        definitions = {}
        import great_expectations as gx

        source = gx.get_context(mode="ephemeral").data_sources.add_postgres("w", connection_string=url)
        for table in ("a", "b"):
            asset = source.add_table_asset(table, table)
            definitions[table] = asset.add_batch_definition(
                "by_day", partitioner=PartitionerColumnValue(column_name="ds"), validate_partitioner=False
            )

        def rows(table: str) -> int | str:
            try:
                batch = definitions[table].get_batch(batch_parameters={"ds": "2026-09-02"})
            except Exception as exc:  # GX's own error for a batch that does not exist
                return type(exc).__name__
            return len(batch.head(fetch_all=True).data)

        stock = {t: rows(t) for t in ("a", "b")}
        with statements_sent() as sent, active(), known_batch("a", "ds", "2026-09-02"):
            fast = {t: rows(t) for t in ("a", "b")}
    assert fast == stock and stock["a"] == 1 and isinstance(stock["b"], str)
    listings = [s for s in sent if s.lower().startswith("select distinct")]
    assert listings and all(s.endswith("FROM b ORDER BY ds ASC") for s in listings), listings  # only b was listed


def test_other_gx_users_in_the_process_get_stock_gx():
    import great_expectations.expectations as gxe
    from training.extensions import install
    from training.gx_speedups.registry import active

    install()
    with postgres_database("trainguard_other") as url:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE t (x DOUBLE PRECISION)"))
            conn.execute(sa.text("INSERT INTO t VALUES (1), (2), (NULL)"))
        engine.dispose()
        batch = _gx_batch(url, "t").add_batch_definition_whole_table("all").get_batch()
        expectation = gxe.ExpectColumnValuesToBeBetween(column="x", min_value=0, max_value=1)
        with statements_sent() as stock_sent:
            stock = batch.validate(expectation)
        with statements_sent() as fast_sent, active():
            fast = batch.validate(expectation)
    assert not any("FILTER (WHERE" in s for s in stock_sent) and any("sum(CASE WHEN" in s for s in stock_sent)
    assert any("FILTER (WHERE" in s for s in fast_sent)
    assert (
        (stock.success, stock.result["unexpected_count"])
        == (fast.success, fast.result["unexpected_count"])
        == (
            False,
            1,
        )
    )


def test_nothing_is_wrapped_on_import():
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import training, training.cli.main, training.api;"
            "from great_expectations.core.id_dict import IDDict;"
            "print(IDDict.to_id.__module__)",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(REPO),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("great_expectations")


def test_a_checkpoint_over_two_tables_fails_a_day_one_of_them_lacks(tmp_path):
    """With the known batch per table, a checkpoint over two tables whose second table has no
    rows that day is a failed validation naming that table, not an empty batch that passes."""
    from great_expectations.core.partitioners import PartitionerColumnValue

    import great_expectations as gx
    import great_expectations.expectations as gxe
    from training.extensions import open_context
    from training.gx.run import run_checkpoint

    settings, _ = make_project(tmp_path)
    engine = sa.create_engine(settings.warehouse_url)
    with engine.begin() as conn:
        for table, days in (("a", ["2026-09-01", "2026-09-02"]), ("b", ["2026-09-01"])):
            conn.execute(sa.text(f"CREATE TABLE {table} (ds TEXT, x INTEGER)"))
            conn.execute(sa.text(f"INSERT INTO {table} VALUES (:ds, 1)"), [{"ds": d} for d in days])
    engine.dispose()
    context = open_context(settings)
    source = context.data_sources.get("warehouse")
    definitions = []
    for table in ("a", "b"):
        batch = source.add_table_asset(table, table).add_batch_definition(
            "by_day", partitioner=PartitionerColumnValue(column_name="ds"), validate_partitioner=False
        )
        suite = context.suites.add(
            gx.ExpectationSuite(name=f"s_{table}", expectations=[gxe.ExpectColumnValuesToNotBeNull(column="x")])
        )
        definitions.append(
            context.validation_definitions.add(gx.ValidationDefinition(name=table, data=batch, suite=suite))
        )
    context.checkpoints.add(gx.Checkpoint(name="two_tables", validation_definitions=definitions))

    both, one = run_checkpoint("two_tables", ["2026-09-01", "2026-09-02"], settings=settings).results
    assert both.success and both.evaluated == 2
    assert not one.success and "no rows in table 'b'" in (one.error or "")
