"""Leave a project folder as it was when a command cannot write to it.

GX writes its files in place (``open(path, "w")``): on a full filesystem a write fails after
the file was created or truncated, and a read-only or unwritable folder fails at the first
file. :func:`unchanged_on_write_error` snapshots a folder before a command writes into it; when
the command dies of such an error, everything it created is removed, the small configuration
files it rewrote get their old bytes back, and the error becomes one :class:`TrainguardError`
line naming the folder (and the file, when the system says which).
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from training.core.errors import TrainguardError

# The environment refusing a write (read-only mount, full disk, quota, permissions), as opposed
# to a bug (a missing file, a path that is a file), which keeps its traceback.
WRITE_ERRNOS = frozenset({errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM})
# What GX rewrites in place and is small: configuration, suites, definitions and trainguard's
# caches at the top of uncommitted/. Validation results and Data Docs pages are only ever new
# files (removed on failure); the site itself is swapped by renaming a symlink.
_CONTENT_KEPT = ("great_expectations.yml", "expectations", "checkpoints", "validation_definitions")
_CONTENT_LIMIT = 16 * 1024 * 1024


def is_write_error(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in WRITE_ERRNOS


class FolderSnapshot:
    """The entries below ``root`` (and symlink targets), with the bytes of the files that are
    rewritten in place."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.take()

    def take(self) -> None:
        self.entries: set[str] = set()
        self.links: dict[str, str] = {}
        self.contents: dict[str, bytes] = {}
        if not self.root.is_dir():
            return
        # One scandir pass: a folder of a year's validations holds thousands of entries, and
        # every checkpoint run (and every day of a backfill) takes a snapshot.
        kept = {os.path.join(self.root, name) for name in _CONTENT_KEPT}
        uncommitted = os.path.join(self.root, "uncommitted")
        for path, entry in _entries(str(self.root)):
            self.entries.add(path)
            if _kind(entry, "symlink"):
                self.links[path] = os.readlink(path)
            elif _kind(entry, "file") and self._content_kept(path, kept, uncommitted):
                with suppress(OSError):
                    if entry.stat(follow_symlinks=False).st_size <= _CONTENT_LIMIT:
                        self.contents[path] = Path(path).read_bytes()

    @staticmethod
    def _content_kept(path: str, kept: set[str], uncommitted: str) -> bool:
        """Below a folder of :data:`_CONTENT_KEPT`, or a file directly in ``uncommitted/``."""
        if any(path == top or path.startswith(top + os.sep) for top in kept):
            return True
        return os.path.dirname(path) == uncommitted

    def restore(self) -> None:
        """Undo whatever was written since :meth:`take`; raises OSError if that fails too."""
        if not self.root.is_dir():
            return
        for path in self._created():
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
        for path, target in self.links.items():
            if os.path.islink(path) and os.readlink(path) != target:
                os.unlink(path)
                os.symlink(target, path)
        # Contents last: removing new files first gives a full disk its room back.
        for path, data in self.contents.items():
            current = Path(path)
            if not current.is_file() or current.read_bytes() != data:
                current.parent.mkdir(parents=True, exist_ok=True)
                current.write_bytes(data)

    def _created(self) -> list[str]:
        """Entries that were not there at :meth:`take` (a new folder as a whole)."""
        return [path for path, _ in _entries(str(self.root), skip=self.entries)]


def _entries(top: str, skip: set[str] | None = None) -> Iterator[tuple[str, os.DirEntry]]:
    """Every entry below ``top`` (symlinks not followed). With ``skip``, only the entries not in
    it, and nothing below a new folder (it goes as a whole)."""
    pending = [top]
    while pending:
        folder = pending.pop()
        # As os.walk: a folder that cannot be listed (gone, unreadable) is skipped.
        with suppress(OSError), os.scandir(folder) as listing:
            for entry in listing:
                path = entry.path
                new = skip is not None and path not in skip
                if skip is None or new:
                    yield path, entry
                if not new and _kind(entry, "dir"):
                    pending.append(path)


def _kind(entry: os.DirEntry, kind: str) -> bool:
    """Whether ``entry`` is a symlink, a file or a folder (links not followed). The directory
    entry usually knows; when asking fails, ``os.path`` is asked, which, as os.walk did, says
    no rather than raise."""
    try:
        if kind == "symlink":
            return entry.is_symlink()
        return entry.is_file(follow_symlinks=False) if kind == "file" else entry.is_dir(follow_symlinks=False)
    except OSError:
        path = entry.path
        if kind == "symlink":
            return os.path.islink(path)
        return (os.path.isfile(path) if kind == "file" else os.path.isdir(path)) and not os.path.islink(path)


@contextmanager
def unchanged_on_write_error(
    root: Path, what: str, also: tuple[type[BaseException], ...] = ()
) -> Iterator[FolderSnapshot]:
    """Run the block; if it fails because ``root`` refuses a write (see :data:`WRITE_ERRNOS`),
    restore ``root`` and raise one line, ``cannot write WHAT: REASON``. ``what`` names what was
    being written (a suite's file, the GX folder). Errors of the types in ``also`` restore
    ``root`` too and propagate unchanged (GX's housekeeping files of a command refused
    before it did anything). Call ``snapshot.take()`` after a unit of work that must stand
    (a validated day of a backfill)."""
    snapshot = FolderSnapshot(root)
    try:
        yield snapshot
    except also:
        with suppress(OSError):
            snapshot.restore()
        raise
    except OSError as exc:
        if not is_write_error(exc):
            raise
        reason = exc.strerror or os.strerror(exc.errno or 0)
        where = f" ({exc.filename})" if exc.filename and str(exc.filename) not in what else ""
        try:
            snapshot.restore()
            outcome = f"{root} was left as it was"
        except OSError as again:
            outcome = f"{root} could not be restored: {again.strerror or again}"
        raise TrainguardError(f"cannot write {what}: {reason}{where}; {outcome}") from exc
