"""Reading a CSV or Parquet file in chunks of rows, so that memory stays flat in the file's size.

A chunk is a DataFrame indexed by its rows' positions in the file (0 for the first data row),
so that an error anywhere names the row a user sees. pandas infers a CSV column's type per
chunk; ``merged_dtype`` gives the type the whole file would have (an integer column with a
fraction in a later chunk is a float column), and a reader given ``dtypes`` reads every chunk
as that.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from training.core.errors import NotFoundError, TrainguardError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

T = TypeVar("T")
READERS = (".csv", ".parquet", ".pq")
# Rows per chunk: about 100 MB for a 16-column day, whatever the file's size.
CHUNK_ROWS = 250_000


def _storable_arrow_type(kind: pa.DataType) -> bool:
    """Whether a Parquet column of this type becomes a column that can be stored as is."""
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        return _storable_arrow_type(kind.value_type)
    checks = (
        pa.types.is_null,
        pa.types.is_boolean,
        pa.types.is_integer,
        pa.types.is_floating,
        pa.types.is_string,
        pa.types.is_large_string,
        pa.types.is_string_view,
        pa.types.is_date,
        pa.types.is_timestamp,
    )
    return any(check(kind) for check in checks)


def _check_parquet_schema(path: Path) -> None:
    """Refuse nested and other unsupported Parquet types before reading: pandas turns a list
    into arrays that the database driver stores as raw bytes, and a struct into dicts it rejects."""
    import pyarrow.parquet as pq

    for field in pq.read_schema(path):
        if not _storable_arrow_type(field.type):
            raise TrainguardError(
                f"column {field.name!r} of {path.name} has type {field.type}, which cannot be stored in a table "
                "(only numbers, booleans, text, dates and timestamps can): flatten or cast it first"
            )


def _check_csv_text(path: Path) -> None:
    """A CSV is text: NUL bytes mean a binary file (pandas would store them as text). Its
    header must name each column once, ignoring case, and none empty: pandas renames
    duplicates (``amount.1``) and empty names (``Unnamed: 1``), and a warehouse ignores the
    case of names, so either would load a different column than the file shows."""
    import csv

    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            if b"\0" in chunk:
                raise TrainguardError(f"cannot read {path.name}: it holds NUL bytes, so it is not a CSV text file")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), [])
    except (UnicodeDecodeError, csv.Error):
        return  # pandas names the problem
    seen: dict[str, str] = {}
    for position, name in enumerate(header, start=1):
        if not name.strip():
            if len(header) > 1:
                raise TrainguardError(f"{path.name} has an empty column name in header position {position}")
            continue
        other = seen.get(name.lower())
        if other == name:
            raise TrainguardError(f"{path.name} has duplicate column name {name!r} in its header")
        if other is not None:
            raise TrainguardError(
                f"{path.name} has columns {other!r} and {name!r}, whose names differ only in case: "
                "a warehouse takes them for one column"
            )
        seen[name.lower()] = name


def check_file(path: Path) -> str:
    """The suffix of a readable CSV or Parquet file, or a clear error before anything is read."""
    if path.is_dir():
        raise TrainguardError(f"{path} is a folder, not a file: pass a .csv or .parquet file")
    if not path.is_file():
        raise NotFoundError(f"no such file: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        _check_csv_text(path)
    elif suffix in (".parquet", ".pq"):
        _check_parquet_schema(path)
    else:
        raise TrainguardError(f"unsupported file type {suffix or '(none)'!r}: use one of {', '.join(READERS)}")
    return suffix


def read_chunks(
    path: Path, dtypes: dict[str, str] | None = None, columns: list[str] | None = None
) -> Iterator[pd.DataFrame]:
    """The rows of ``path`` (checked by ``check_file``), ``CHUNK_ROWS`` at a time. ``dtypes``:
    column -> ``"str"`` or ``"float64"`` (read as such) or ``"object"`` (converted after
    reading); ``columns``: only these. A CSV with a header only gives one chunk without rows."""
    import pandas as pd

    dtypes = dtypes or {}
    read_as = {name: kind for name, kind in dtypes.items() if kind != "object"}
    try:
        suffix = check_file(path)
        if suffix == ".csv":
            with pd.read_csv(path, chunksize=CHUNK_ROWS, dtype=read_as or None, usecols=columns) as reader:
                for chunk in reader:
                    yield _converted(chunk, dtypes)
            return
        yield from _parquet_chunks(path, dtypes, columns)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise TrainguardError(f"cannot read {path.name}: {exc}") from exc


def _parquet_chunks(path: Path, dtypes: dict[str, str], columns: list[str] | None) -> Iterator[pd.DataFrame]:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = pq.ParquetFile(path)
    schema = source.schema_arrow
    start = 0
    batches = source.iter_batches(batch_size=CHUNK_ROWS, columns=columns)
    first = True
    for batch in batches:
        # As pd.read_parquet converts a table (its pandas metadata included), batch by batch.
        frame = pa.Table.from_batches([batch], schema=batch.schema).to_pandas()
        frame.index = pd.RangeIndex(start, start + len(frame))
        start += len(frame)
        first = False
        yield _converted(frame, dtypes)
    if first:  # no rows: one chunk without rows, with the file's columns
        empty = schema.empty_table().to_pandas()
        yield empty if columns is None else empty[columns]


def _converted(chunk: pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    changes = {name: kind for name, kind in dtypes.items() if name in chunk.columns and chunk[name].dtype != kind}
    return chunk.astype(changes) if changes else chunk


def merged_dtype(kinds: list[Any]) -> str | None:
    """The dtype a whole file gives a column that chunks read as ``kinds``, as ``read_chunks``
    takes it, or None when they agree: any text makes a text column (read again as text, so
    ``007`` stays ``007``); numbers only, a float column; booleans beside a chunk of NaN only,
    an object column of booleans and NaN."""
    import pandas as pd

    if all(k == kinds[0] for k in kinds):
        return None
    if any(isinstance(k, pd.StringDtype) for k in kinds):  # text (booleans with NaN are objects)
        return "str"
    if all(pd.api.types.is_numeric_dtype(k) and not pd.api.types.is_bool_dtype(k) for k in kinds):
        return "float64"
    return "object"


class _ReadAhead:
    """An iterator's items produced by a thread, up to two ahead of the consumer."""

    _DONE = object()

    def __init__(self, items: Iterator[Any]) -> None:
        self.items = items
        self.ahead: queue.Queue = queue.Queue(maxsize=2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._produce, name="trainguard-read-ahead", daemon=True)

    def _put(self, item: tuple[bool, Any]) -> None:
        while not self.stop.is_set():
            try:
                self.ahead.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _produce(self) -> None:
        try:
            for item in self.items:
                self._put((True, item))
                if self.stop.is_set():
                    return
            self._put((True, self._DONE))
        except BaseException as exc:  # handed to the consumer's thread and raised there
            self._put((False, exc))
        finally:
            close = getattr(self.items, "close", None)
            if close is not None:
                close()

    def __iter__(self) -> Iterator[Any]:
        self.thread.start()
        try:
            while True:
                ok, item = self.ahead.get()
                if not ok:
                    raise item
                if item is self._DONE:
                    return
                yield item
        finally:
            self.stop.set()
            self.thread.join()


def read_ahead(items: Iterator[T]) -> Iterator[T]:
    """``items``, read ahead in a thread: the next chunk is read and checked while the database
    writes the last one, so that on two cores a load takes about the longer of the two rather
    than their sum. An error of the reader is raised here, in order; when the consumer stops
    early (an error while writing), the reader stops too. At most two items wait."""
    return iter(_ReadAhead(items))
