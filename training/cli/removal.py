"""Deleting a set of project files all together or not at all (``suite delete``, ``checkpoint
delete``, ``validation delete``)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from training.core.errors import TrainguardError


class NothingDeletedError(TrainguardError):
    """A deletion refused before anything changed; its message says so."""


@contextlib.contextmanager
def set_aside(paths: Sequence[Path], what: str) -> Iterator[None]:
    """Rename each of ``paths`` beside itself for the block (one atomic step within its folder,
    to a name no GX store lists: it does not end in ``.json``); if the block fails they are
    renamed back, else deleted. A rename that fails renames the others back and raises
    ``NothingDeletedError`` in one line."""
    moved: list[tuple[Path, Path]] = []

    def put_back() -> None:
        for path, aside in reversed(moved):
            with contextlib.suppress(OSError):
                os.replace(aside, path)

    try:
        for path in paths:
            aside = path.with_name(f".{path.name}.deleting-{os.getpid()}")
            os.replace(path, aside)
            moved.append((path, aside))
    except OSError as exc:
        put_back()
        where = f" ({exc.filename})" if exc.filename else ""
        raise NothingDeletedError(f"cannot delete {what}: {exc.strerror or exc}{where}; nothing was deleted") from None
    try:
        yield
    except BaseException:
        put_back()
        raise
    for _, aside in moved:
        with contextlib.suppress(OSError):
            aside.unlink()


def remove_all(paths: Sequence[Path], what: str) -> None:
    """Delete every one of ``paths``, or none of them (``set_aside`` with nothing in between)."""
    with set_aside(paths, what):
        pass
