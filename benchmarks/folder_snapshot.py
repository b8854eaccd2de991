"""What does the GX folder's write guard cost a checkpoint run? Prints one table.

    .venv/bin/python benchmarks/folder_snapshot.py                # 1 and 2 years of 2 suites
    .venv/bin/python benchmarks/folder_snapshot.py --days 365     # a quick look

Every ``checkpoint run`` (and every day of a ``--from/--to`` backfill) snapshots the GX folder
first (``training/core/folder_guard.py``), so that a read-only or full folder can be left as it
was. The folder grows by a result file and a Data Docs page per suite and day, each in folders
of their own. For each size this builds such a folder (2 suites, 2 KB files) and measures, in
the same run and taking turns, the fastest of five:
  (a) the floor: ``os.walk`` listing every entry's path (what any snapshot must at least do);
  (b) ``FolderSnapshot(root)``: entries, symlinks and the bytes of the configuration files;
  (c) ``FolderSnapshot._created()``: the check after a failed command for what it wrote.
Nothing here is part of the test run.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from turns import days_option, fastest_in_turns, scratch_folder  # this folder, on sys.path when run as a script

from training.core.folder_guard import FolderSnapshot

REPO = Path(__file__).resolve().parents[1]
SUITES = 2


def build(root: Path, days: int) -> None:
    shutil.copytree(REPO / "great_expectations", root, ignore=shutil.ignore_patterns("uncommitted"))
    for suite in range(SUITES):
        for day in range(days):
            for kind, suffix in (("validations", "json"), ("data_docs/local_site/validations", "html")):
                folder = root / "uncommitted" / kind / f"suite{suite}" / f"run{day}" / f"2026{day:04d}T000000Z"
                folder.mkdir(parents=True)
                (folder / f"batch.{suffix}").write_bytes(b"x" * 2048)


def floor(root: Path) -> int:
    paths = set()
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            paths.add(os.path.join(folder, name))
    return len(paths)


def measure(root: Path) -> tuple[int, float, float, float]:
    """Entries, then the fastest of five of (a), (b) and (c)."""
    snapshot = FolderSnapshot(root)
    walk, snap, new = fastest_in_turns([lambda: floor(root), lambda: FolderSnapshot(root), snapshot._created])
    return len(snapshot.entries), walk, snap, new


def main() -> None:
    sizes = days_option(__doc__, "365,730")
    print(f"{'days':>6} {'entries':>8} {'(a) walk':>9} {'(b) snap':>9} {'(c) new':>9} {'b/a':>5} {'c/a':>5}")
    for days in sizes:
        with scratch_folder("trainguard-snapshot-") as base:
            root = base / "great_expectations"
            build(root, days)
            entries, walk, snap, new = measure(root)
            ratios = f"{snap / walk:>5.2f} {new / walk:>5.2f}"
            print(f"{days:>6} {entries:>8} {walk:>9.3f} {snap:>9.3f} {new:>9.3f} {ratios}")


if __name__ == "__main__":
    main()
