"""Deleting a set of project files all together or not at all (``suite delete``, ``checkpoint delete``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path

from training.core.errors import TrainguardError


def remove_all(paths: Sequence[Path], what: str) -> None:
    """Delete every one of ``paths``, or none of them.

    Each file is first renamed beside itself (one atomic step within its folder, to a name no
    GX store lists: it does not end in ``.json``); if any rename fails, those already made are
    renamed back and the error is one line. Only when all are aside are they deleted.
    """
    moved: list[tuple[Path, Path]] = []
    try:
        for path in paths:
            aside = path.with_name(f".{path.name}.deleting-{os.getpid()}")
            os.replace(path, aside)
            moved.append((path, aside))
    except OSError as exc:
        for path, aside in reversed(moved):
            with suppress(OSError):
                os.replace(aside, path)
        where = f" ({exc.filename})" if exc.filename else ""
        raise TrainguardError(f"cannot delete {what}: {exc.strerror or exc}{where}; nothing was deleted") from None
    for _, aside in moved:
        with suppress(OSError):
            aside.unlink()
