"""The GX folder's write guard: a snapshot knows every entry (links not followed), keeps the
bytes of what GX rewrites in place, and a restore removes exactly what was added since."""

from __future__ import annotations

import errno
import os

import pytest

from training.core.errors import TrainguardError
from training.core.folder_guard import FolderSnapshot, unchanged_on_write_error


@pytest.fixture
def project(tmp_path):
    """A GX folder with what a real one holds, and the odd entries a snapshot must survive."""
    root = tmp_path / "gx"
    (root / "expectations").mkdir(parents=True)
    (root / "expectations" / "suite.json").write_text('{"name": "suite"}')
    (root / "great_expectations.yml").write_text("config_version: 4\n")
    (root / "great_expectations.yml.bak").write_text("not configuration")
    results = root / "uncommitted" / "validations" / "suite" / "run" / "20260101T000000Z"
    results.mkdir(parents=True)
    (results / "batch.json").write_text("{}")
    (root / "uncommitted" / "cache.json").write_text('{"cached": 1}')
    site = root / "uncommitted" / "data_docs" / ".site-1"
    site.mkdir(parents=True)
    (site / "index.html").write_text("<html/>")
    os.symlink(".site-1", root / "uncommitted" / "data_docs" / "local_site")  # the site: a link to a folder
    os.symlink(tmp_path / "nowhere", root / "uncommitted" / "dangling")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "big.bin").write_text("not ours")
    os.symlink(outside, root / "expectations" / "linked")  # a link to a folder is not walked into
    return root


def test_snapshot_lists_entries_links_and_the_contents_rewritten_in_place(project):
    snapshot = FolderSnapshot(project)
    relative = {os.path.relpath(p, project) for p in snapshot.entries}
    assert "expectations/linked" in relative and "expectations/linked/big.bin" not in relative
    assert "uncommitted/data_docs/local_site/index.html" not in relative
    assert "uncommitted/validations/suite/run/20260101T000000Z/batch.json" in relative
    links = {os.path.relpath(p, project): target for p, target in snapshot.links.items()}
    assert links["uncommitted/data_docs/local_site"] == ".site-1"
    assert set(links) == {"uncommitted/data_docs/local_site", "uncommitted/dangling", "expectations/linked"}
    kept = {os.path.relpath(p, project) for p in snapshot.contents}
    # Configuration, suites and uncommitted/'s own files; never results, pages, links or look-alikes.
    assert kept == {"great_expectations.yml", "expectations/suite.json", "uncommitted/cache.json"}


def test_restore_removes_what_was_added_and_puts_back_what_was_rewritten(project):
    snapshot = FolderSnapshot(project)
    (project / "expectations" / "suite.json").write_text("truncated")
    new_run = project / "uncommitted" / "validations" / "suite" / "run2"
    new_run.mkdir()
    (new_run / "batch.json").write_text("{}")
    (project / "uncommitted" / "data_docs" / "local_site").unlink()
    os.symlink(".site-2", project / "uncommitted" / "data_docs" / "local_site")
    assert [os.path.relpath(p, project) for p in snapshot._created()] == ["uncommitted/validations/suite/run2"]
    snapshot.restore()
    assert (project / "expectations" / "suite.json").read_text() == '{"name": "suite"}'
    assert not new_run.exists()
    assert os.readlink(project / "uncommitted" / "data_docs" / "local_site") == ".site-1"
    assert FolderSnapshot(project).entries == snapshot.entries


def test_a_refused_write_leaves_the_folder_as_it_was_in_one_line(project):
    before = FolderSnapshot(project)
    refused = r"^cannot write suite x: No space left on device; .* was left as it was$"
    with pytest.raises(TrainguardError, match=refused):
        with unchanged_on_write_error(project, "suite x"):
            (project / "expectations" / "new.json").write_text("{")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    after = FolderSnapshot(project)
    assert after.entries == before.entries and after.contents == before.contents and after.links == before.links
