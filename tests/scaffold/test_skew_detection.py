"""What "good" means for scaffolded suites: a year of seasonal demo data, a suite scaffolded
from 4 clean weeks, every injected skew caught and few false alarms on clean days.

Validations run through GX's validation definition (no Data Docs or recording) to keep this
fast; the checks themselves run in SQLite with the ``ds = :day`` predicate.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from tests.conftest import make_project

YEAR = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
REFERENCE = (dt.date(2026, 6, 1), dt.date(2026, 6, 28))
CLEAN_DAYS = [dt.date(2026, 6, 29) + dt.timedelta(days=i) for i in range(63)]
# (kind, column) pairs: schema skews, then value skews of the sizes the issue names
# (3-sigma mean shift, 20% nulls, 5% new category, 50% fewer rows).
SKEWS = [
    ("drop_column", "distance_km"),
    ("drop_column", "payment_type"),
    ("new_column", "promo_code"),
    ("type_change", "distance_km"),
    ("type_change", "passengers"),
    *[
        ("mean_shift", c)
        for c in ("pickup_hour", "distance_km", "passengers", "temperature_c", "tip_rate", "duration_min")
    ],
    ("null_burst", "distance_km"),
    ("null_burst", "tip_rate"),
    ("null_burst", "pickup_zone"),
    ("new_category", "pickup_zone"),
    ("new_category", "payment_type"),
    ("new_category", "vehicle_type"),
    ("row_collapse", None),
    ("row_collapse", None),
    ("row_collapse", None),
]


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory):
    from training.demo.seed import seed_demo
    from training.extensions import open_context
    from training.scaffold.build import ScaffoldOptions
    from training.scaffold.register import scaffold_suite
    from training.warehouse.engine import get_engine

    settings, _ = make_project(tmp_path_factory.mktemp("detection"))
    engine = get_engine(settings.warehouse_url)
    seed_demo(engine, *YEAR)
    context = open_context(settings)
    scaffold_suite(
        "trips_scaffolded",
        "trips",
        "ds",
        REFERENCE,
        options=ScaffoldOptions(target="duration_min"),
        settings=settings,
        context=context,
    )
    return engine, context.validation_definitions.get("trips_scaffolded"), settings, context


def _failures(definition, day: dt.date) -> list[str]:
    from training.gx_speedups.registry import active

    with active():  # the speed layer on, as trainguard's runner runs a day
        result = definition.run(batch_parameters={"ds": day.isoformat()}, result_format="BASIC")
    return [
        f"{r.expectation_config.type}[{r.expectation_config.kwargs.get('column', '')}]"
        for r in result.results
        if not r.success
    ]


def test_clean_days_rarely_fail(scaffolded):
    _, definition, _, _ = scaffolded
    failed = {day: f for day in CLEAN_DAYS if (f := _failures(definition, day))}
    rate = len(failed) / len(CLEAN_DAYS)
    print(f"false alarms: {len(failed)} of {len(CLEAN_DAYS)} clean days ({rate:.1%}): {failed}")
    assert rate < 0.05, failed


@pytest.mark.parametrize(("index", "kind", "column"), [(i, k, c) for i, (k, c) in enumerate(SKEWS)])
def test_every_injected_skew_is_caught(scaffolded, index, kind, column):
    from training.demo.generate import Skew, apply_skew, generate_day
    from training.warehouse.writer import write_day

    engine, definition, _, _ = scaffolded
    # Spread over the weekdays of the evaluation window; the clean day is restored afterwards.
    day = CLEAN_DAYS[(index * 3) % len(CLEAN_DAYS)]
    skewed = apply_skew(generate_day(day), Skew(day, kind, column))
    try:
        write_day(engine, "trips", "ds", day, skewed)
        failures = _failures(definition, day)
    finally:
        write_day(engine, "trips", "ds", day, generate_day(day))
        if kind == "new_column":
            with engine.begin() as conn:
                conn.execute(sa.text(f"ALTER TABLE trips DROP COLUMN {column}"))
    print(f"{kind}({column}) on {day:%a %Y-%m-%d}: {failures}")
    assert failures, f"{kind} of {column} on {day} was not caught"
    if kind not in ("new_column", "row_collapse"):
        assert any(f"[{column}]" in f for f in failures), "the failure must name the skewed feature"
    assert _failures(definition, day) == [], "the clean day must pass again once restored"


def test_drift_scores_are_recorded_pass_or_fail_and_rendered_in_data_docs(scaffolded, monkeypatch, request):
    from training.core.settings import get_settings
    from training.demo.generate import Skew, apply_skew, generate_day
    from training.gx.record.history import observation_history
    from training.gx.run import run_checkpoint
    from training.warehouse.writer import write_day

    engine, _, settings, context = scaffolded
    # The recording action reads the process settings, as it does in the CLI and in Airflow.
    monkeypatch.setenv("TRAINGUARD_WAREHOUSE_URL", settings.warehouse_url)
    get_settings.cache_clear()
    request.addfinalizer(get_settings.cache_clear)
    clean, skewed_day = CLEAN_DAYS[0], CLEAN_DAYS[1]
    write_day(
        engine,
        "trips",
        "ds",
        skewed_day,
        apply_skew(generate_day(skewed_day), Skew(skewed_day, "mean_shift", "distance_km")),
    )
    try:
        run = run_checkpoint(
            "trips_scaffolded", [clean.isoformat(), skewed_day.isoformat()], settings=settings, context=context
        )
    finally:
        write_day(engine, "trips", "ds", skewed_day, generate_day(skewed_day))
    assert [r.success for r in run.results] == [True, False]
    history = observation_history(engine, "trips_scaffolded", "expect_column_psi_to_be_less_than", "distance_km")
    assert [(h["batch_value"], h["success"]) for h in history] == [
        (clean.isoformat(), True),
        (skewed_day.isoformat(), False),
    ]
    assert history[1]["observed"] > 1 > history[0]["observed"]
    # Drift is a warning: reported with the day's other failed checks, it does not block alone.
    found = [*run.results[1].failures, *run.results[1].warnings]
    failure = next(f for f in found if f.expectation == "expect_column_psi_to_be_less_than")
    assert failure.column == "distance_km" and failure.observed["value"] > failure.expected["threshold"]
    page = run.results[1].docs_page.removeprefix("file://")
    html = open(page, encoding="utf-8").read()
    assert "distribution must stay within PSI" in html and "Jensen-Shannon distance" in html
    assert "largest shift in" in html


def test_batches_are_read_in_the_database_with_an_index_friendly_predicate(scaffolded):
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    _, definition, _, _ = scaffolded
    statements: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", remember)
    try:
        assert _failures(definition, CLEAN_DAYS[5]) == []
    finally:
        event.remove(Engine, "before_cursor_execute", remember)
    on_trips = [s for s in statements if "FROM trips" in s]
    assert on_trips, statements
    assert not [s for s in statements if "strftime" in s.lower()]
    # Apart from GX's batch listing (SELECT DISTINCT ds, an index scan), every read is one day,
    # and it is aggregated in SQL: no statement fetches the day's rows as such.
    reads = [s for s in on_trips if not s.lower().startswith("select distinct(ds)")]
    assert reads  # the bundled scan, the interval check's reference days, distinct counts
    # One day, or the few reference days of an interval check (listed, an index lookup each).
    assert all(re.search(r"WHERE ds (= \?|IN \(\?(, \?)*\))", s) for s in reads), reads[:3]
    assert not [s for s in statements if s.startswith("SELECT * FROM")]
