"""Where the Data Docs site lives on disk, and how a new build replaces it atomically.

The site path (``uncommitted/data_docs/local_site``, what GX's ``great_expectations.yml``,
``docs serve``, prune and the recorded page URLs name) is a relative symlink to one complete
build in ``.local_site.builds/``. ``trainguard docs build`` writes a new build folder there and
replaces the symlink with one ``os.replace``: readers see the old site or the new one, never no
site. The build swapped out is kept until the next build (a page being served from it stays
readable); older ones are deleted.

One lock file beside the site orders the writers: a full build holds it exclusively from start
to swap, so overlapping builds run one after the other; the site updates after a validation
(GX's docs action, trainguard's pages, the offline rewrite) hold it shared, so they never write
into a build that is being swapped out or deleted, and a validation stored during a build is
either in that build's index or written into the new site after it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

# How long a full build waits for another build (or for site updates) to finish, and how long a
# site update after a validation waits for a build, before giving up with a TimeoutError.
BUILD_WAIT_S = 900.0
UPDATE_WAIT_S = 300.0
_POLL_S = 0.05


def builds_dir(site: Path) -> Path:
    return site.parent / f".{site.name}.builds"


def lock_path(site: Path) -> Path:
    return site.parent / f".{site.name}.lock"


def current_build(site: Path) -> Path | None:
    """The build folder the site path names now (None when the site is not a symlink)."""
    try:
        target = os.readlink(site)
    except OSError:
        return None
    return (site.parent / target).resolve()


_held = threading.local()


@contextlib.contextmanager
def locked(site: Path, *, exclusive: bool, timeout: float | None = None) -> Iterator[None]:
    """Hold the site's lock (exclusive for a full build, shared for an update after a validation).

    Re-entrant within a thread: a nested call (prune's build) runs under the lock already held.
    Raises ``TimeoutError`` when the lock is not free within ``timeout`` seconds.
    """
    path = lock_path(site)
    held: dict[str, int] = _held.__dict__.setdefault("depth", {})
    key = str(path.absolute())
    if held.get(key):
        held[key] += 1
        try:
            yield
        finally:
            held[key] -= 1
        return
    timeout = (BUILD_WAIT_S if exclusive else UPDATE_WAIT_S) if timeout is None else timeout
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        while True:
            try:
                fcntl.flock(fd, mode)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise TimeoutError(
                        errno.ETIMEDOUT,
                        f"the Data Docs site stayed locked by another process (a build) for over {timeout:.0f} s",
                        str(path),
                    ) from None
                time.sleep(_POLL_S)
        held[key] = 1
        try:
            yield
        finally:
            held[key] = 0
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def new_build(site: Path) -> Path:
    """An empty, uniquely named build folder (call under the site's lock)."""
    folder = builds_dir(site)
    folder.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=time.strftime("%Y%m%dT%H%M%S-", time.gmtime()), dir=folder))
    os.chmod(build, 0o755)  # mkdtemp's 0700 would hide the site from a server running as another user
    return build


def ensure_site(site: Path) -> None:
    """Give a project without a site an empty build and the symlink to it, so GX's pages after a
    validation land in a build folder too; a symlink whose build was deleted by hand gets a new
    empty one (call under the shared lock)."""
    if os.path.lexists(site) and not (site.is_symlink() and not site.exists()):
        return
    build = new_build(site)
    target = os.path.relpath(build, site.parent)
    try:
        if site.is_symlink():  # dangling
            link = site.parent / f".{site.name}.link-{os.getpid()}-{threading.get_ident()}"
            link.symlink_to(target)
            os.replace(link, site)
        else:
            os.symlink(target, site)
    except FileExistsError:  # another process made the site first: use its build
        build.rmdir()


def publish(site: Path, build: Path) -> None:
    """Make ``site`` name ``build`` in one step, then delete builds older than the one replaced
    (call under the exclusive lock)."""
    previous = current_build(site)
    for stale in site.parent.glob(f".{site.name}.link-*"):  # left by an interrupted publish
        with contextlib.suppress(OSError):
            stale.unlink()
    link = site.parent / f".{site.name}.link-{os.getpid()}"
    link.symlink_to(os.path.relpath(build, site.parent))
    try:
        if site.is_dir() and not site.is_symlink():
            previous = _replace_folder(site, link)
        else:
            os.replace(link, site)  # a symlink (or nothing) is replaced atomically
    except BaseException:
        with contextlib.suppress(OSError):
            link.unlink()
        raise
    keep = {build.resolve(), *([previous] if previous is not None else [])}
    for old in builds_dir(site).iterdir():
        if old.resolve() not in keep:
            shutil.rmtree(old, ignore_errors=True)


def _replace_folder(site: Path, link: Path) -> Path:
    """A site from before builds were symlinked is a real folder: exchange it with the symlink
    atomically (Linux ``renameat2``), else move it aside first; keep it as the previous build."""
    kept = builds_dir(site) / f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-folder-{os.getpid()}"
    if _exchange(link, site):
        os.rename(link, kept)  # ``link`` now names the old folder
    else:
        os.rename(site, kept)
        os.replace(link, site)
    return kept.resolve()


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step; False where the system cannot (then nothing changed)."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))
