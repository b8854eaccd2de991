"""Loading daily partitions and the identifier checks that keep SQL injection out."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from training.core.errors import NotFoundError, TrainguardError
from training.warehouse.identifiers import check_identifier, require_columns
from training.warehouse.partitions import count_rows, list_days, read_days
from training.warehouse.writer import write_day

DAY = dt.date(2026, 1, 5)


@pytest.fixture
def engine(tmp_path):
    return sa.create_engine(f"sqlite:///{tmp_path / 'w.db'}")


def test_rewriting_a_day_replaces_it_and_keeps_other_days(engine):
    write_day(engine, "events", "ds", DAY, pd.DataFrame({"x": [1.0, 2.0, 3.0]}))
    write_day(engine, "events", "ds", DAY + dt.timedelta(days=1), pd.DataFrame({"x": [4.0]}))
    write_day(engine, "events", "ds", DAY, pd.DataFrame({"x": [9.0]}))
    assert count_rows(engine, "events", "ds", DAY) == 1
    assert list_days(engine, "events", "ds") == [DAY, DAY + dt.timedelta(days=1)]
    frame = read_days(engine, "events", "ds", [DAY], ["x"])
    assert frame["x"].tolist() == [9.0] and frame["ds"].tolist() == ["2026-01-05"]


def test_new_columns_are_added_and_the_date_column_is_indexed(engine):
    write_day(engine, "events", "ds", DAY, pd.DataFrame({"x": [1.0]}))
    write_day(engine, "events", "ds", DAY + dt.timedelta(days=1), pd.DataFrame({"x": [1.0], "y": ["a"]}))
    inspector = sa.inspect(engine)
    assert [c["name"] for c in inspector.get_columns("events")] == ["ds", "x", "y"]
    assert any(ix["column_names"] == ["ds"] for ix in inspector.get_indexes("events"))


@pytest.mark.parametrize("name", ["x; DROP TABLE events", "a b", "1abc", "ds--", "", 'x"y'])
def test_injection_attempts_in_identifiers_are_rejected(name):
    with pytest.raises(TrainguardError, match="invalid"):
        check_identifier(name, "column")


def test_missing_table_and_column_are_named(engine):
    with pytest.raises(NotFoundError, match="table 'nope' does not exist"):
        count_rows(engine, "nope", "ds", DAY)
    write_day(engine, "events", "ds", DAY, pd.DataFrame({"x": [1.0]}))
    with pytest.raises(NotFoundError, match="column 'z' does not exist in table 'events'"):
        require_columns(engine, "events", ["z"])


def test_date_values_are_bound_not_interpolated(engine):
    write_day(engine, "events", "ds", DAY, pd.DataFrame({"x": [1.0]}))
    frame = read_days(engine, "events", "ds", [DAY], ["x"])
    assert len(frame) == 1
    assert count_rows(engine, "events", "ds", dt.date(2026, 1, 6)) == 0
