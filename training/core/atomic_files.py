"""Replace a file so that readers see its old content or its new one, never part of either."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes | str, mode: int = 0o644) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``.

    Each writer has its own temporary file, so concurrent writers (two CLI calls, an Airflow
    task) never mix their bytes: the last rename wins. A failed write leaves ``path`` as it was.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_json_dict(path: Path) -> dict:
    """The JSON object stored at ``path``; an empty dict when the file is missing, unreadable
    or not an object (caches and records that cost only a recomputation when lost)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
