"""``data load`` reads a file in chunks and writes it as it reads (``COPY`` on PostgreSQL): the
table it leaves is the one a whole-file read leaves, a bad value in a late chunk names its row
in the file and leaves the table as it was, and a day spread over chunks is replaced once."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.conftest import postgres_database
from tests.warehouse.test_load_faults import snapshot
from training.core.errors import TrainguardError
from training.warehouse import files
from training.warehouse.loading import load_file

# 12 rows over three days, interleaved so that every day spans chunks of 3 rows. Later chunks
# read columns as other types than the first: ``amount`` gets a fraction, ``code`` (numbers
# written with leading zeros) a word, ``flag`` an empty value, ``note`` an empty text.
CSV = r'''ds,amount,code,flag,note,score
2026-09-01,1,007,True,a,0.1
2026-09-02,2,010,False,b,
2026-09-03,3,011,True,"c,d",1e-20
2026-09-01,4,012,False,\N,2.5
2026-09-02,5,013,True,"e ""q""",3
2026-09-03,6,014,False,f,inf
2026-09-01,7.5,015,True,g,-0.0
2026-09-02,8,016,False,h,1e300
2026-09-03,9,017,True,i,4
2026-09-01,10,abc,,j,5
2026-09-02,11,019,True,,6
2026-09-03,12,020,False,k,7
'''


@contextlib.contextmanager
def _engine(backend: str, tmp_path: Path) -> Iterator[sa.Engine]:
    if backend == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'w.db'}")
        yield engine
        engine.dispose()
    else:
        with postgres_database("trainguard_chunks") as url:
            engine = sa.create_engine(url)
            yield engine
            engine.dispose()


def _rows(engine: sa.Engine, table: str) -> list[tuple]:
    with engine.connect() as conn:
        return sorted(map(tuple, conn.execute(sa.text(f'SELECT * FROM "{table}"'))), key=repr)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_file_read_in_chunks_loads_as_read_whole(backend, tmp_path, monkeypatch):
    path = tmp_path / "sales.csv"
    path.write_text(CSV)
    with _engine(backend, tmp_path) as engine:
        whole = load_file(engine, "whole", path, "ds")
        monkeypatch.setattr(files, "CHUNK_ROWS", 3)
        chunked = load_file(engine, "chunked", path, "ds")
        assert chunked == whole == {dt.date(2026, 9, d): 4 for d in (1, 2, 3)}
        # Same column types (the whole file's: amount a float, code and flag text) and same rows.
        shape = snapshot(engine)
        assert [c[1:] for c in shape["columns"]["chunked"]] == [c[1:] for c in shape["columns"]["whole"]]
        assert shape["rows"]["chunked"] == shape["rows"]["whole"]
        rows = {r[0:2]: r for r in _rows(engine, "chunked")}
        assert rows[("2026-09-01", 7.5)][2] == "015" and rows[("2026-09-01", 10.0)][2] == "abc"
        assert rows[("2026-09-01", 4.0)][4] == "\\N"  # text equal to COPY's NULL marker stays text
        assert rows[("2026-09-02", 11.0)][4] is None

        # A day spread over chunks is replaced once, as a whole: a rerun leaves the same rows.
        load_file(engine, "chunked", path, "ds")
        assert _rows(engine, "chunked") == shape["rows"]["whole"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_bad_value_in_a_late_chunk_names_its_row_and_writes_nothing(backend, tmp_path, monkeypatch):
    path = tmp_path / "sales.csv"
    good = pd.DataFrame({"ds": ["2026-09-01"] * 9, "amount": range(9), "id": [str(i) for i in range(9)]})
    good.to_csv(path, index=False)
    monkeypatch.setattr(files, "CHUNK_ROWS", 4)
    with _engine(backend, tmp_path) as engine:
        load_file(engine, "sales", path, "ds")
        before = snapshot(engine)
        cases = {
            # (rows changed, error): each found in the third chunk, after two were written
            "not a date": ({8: {"ds": "someday"}}, "not a date in data row 9: 'someday'"),
            "empty date": ({9: {"ds": ""}}, "is empty in data row 10"),
            "mixed formats": ({8: {"ds": "01/09/2026"}}, "mixes date formats: '2026-09-01' in data row 1"),
            "mixed offsets": (
                {0: {"ds": "2026-09-01T10:00+02:00"}, 9: {"ds": "2026-09-01T10:00+05:00"}},
                "mixes UTC offsets",
            ),
            # (in a file of 27 rows: 26 of 27 numbers is over 95%)
            "numeric except one": ({25: {"id": "x"}}, "column 'id' is numeric except in data row 26: 'x'"),
        }
        for name, (changes, message) in cases.items():
            copies = 3 if name == "numeric except one" else 1
            frame = pd.concat([good] * copies + [good.iloc[:3]], ignore_index=True).astype(object)
            for row, values in changes.items():
                for column, value in values.items():
                    frame.loc[row, column] = value
            bad = tmp_path / f"{name.replace(' ', '_')}.csv"
            frame.to_csv(bad, index=False)
            # Into a new table, so that no existing column's type refuses the value first.
            table = "fresh" if name == "numeric except one" else "sales"
            with pytest.raises(TrainguardError) as raised:
                load_file(engine, table, bad, "ds")
            assert message in str(raised.value), (name, str(raised.value))
            assert snapshot(engine) == before, name


def test_day_month_order_is_settled_by_any_chunk(tmp_path, monkeypatch):
    """``09/02/2026`` reads two ways; a ``13/02/2026`` in the last chunk settles it for the rows
    written before it, as it does when the file is read whole."""
    path = tmp_path / "eu.csv"
    pd.DataFrame({"ds": ["09/02/2026", "10/02/2026", "11/02/2026", "12/02/2026", "13/02/2026"], "x": range(5)}).to_csv(
        path, index=False
    )
    monkeypatch.setattr(files, "CHUNK_ROWS", 2)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'w.db'}")
    written = load_file(engine, "eu", path, "ds")
    assert sorted(written) == [dt.date(2026, 2, d) for d in range(9, 14)]
    path.write_text("ds,x\n09/02/2026,1\n10/02/2026,2\n11/02/2026,3\n")
    with pytest.raises(TrainguardError, match="ambiguous, day/month or month/day"):
        load_file(engine, "eu2", path, "ds")
