"""Keep what the Data Docs index needs of each validation, so rebuilding it reads no old results.

GX rebuilds the site index after every checkpoint run, and for that it loads every stored
validation result in full (about 10 ms each for a 40-column suite) to read four fields: the
verdict, the batch's kwargs and spec, and the asset name. After a year of daily runs that is
seconds per run, growing every day. The stored results never change (each run has its own
key), so those fields are kept in ``uncommitted/trainguard_index_entries.json`` of the GX
project and only results new since the last build are read. Entries of results that are gone
(``trainguard docs prune``) are dropped at the next build. A lost or unreadable file only costs
one full read.
"""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path
from typing import Any

from training.core.atomic_files import read_json_dict, write_atomically
from training.gx_speedups.registry import patch

log = logging.getLogger(__name__)

FILE_NAME = "trainguard_index_entries.json"
META_KEYS = ("batch_kwargs", "batch_spec", "active_batch_definition")


def _save(path: Path, entries: dict[str, dict]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps(entries, default=str))
    except OSError:
        log.warning("could not save the Data Docs index entries to %s", path, exc_info=True)


def _key(suite: str, batch_identifier: Any, run_id: Any) -> str:
    return json.dumps([suite, str(batch_identifier), run_id.run_name, run_id.run_time.isoformat()])


class _CachingContext:
    """The data context as the index builder sees it: ``get_validation_result`` answers from
    the stored entries (a result holding just those fields), everything else is the context."""

    def __init__(self, context: Any, entries: dict[str, dict]) -> None:
        self._context = context
        self.entries = entries
        self.seen: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)

    def get_validation_result(self, batch_identifier=None, expectation_suite_name=None, run_id=None, **kwargs: Any):
        from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult

        key = _key(expectation_suite_name, batch_identifier, run_id)
        self.seen.add(key)
        entry = self.entries.get(key)
        if entry is None:
            full = self._context.get_validation_result(
                batch_identifier=batch_identifier,
                expectation_suite_name=expectation_suite_name,
                run_id=run_id,
                **kwargs,
            )
            if not isinstance(full, ExpectationSuiteValidationResult):
                return full
            entry = {"success": full.success, "meta": {k: full.meta[k] for k in META_KEYS if k in full.meta}}
            self.entries[key] = json.loads(json.dumps(entry, default=str))
        return ExpectationSuiteValidationResult(
            success=entry["success"], results=[], suite_name=expectation_suite_name, meta=entry["meta"]
        )


@functools.cache
def install() -> None:
    """Wrap GX's site index builder once per process (GX is pinned: see requirements.txt)."""
    from great_expectations.render.renderer.site_builder import DefaultSiteIndexBuilder

    def _add_validations_to_index_links(self: Any, index_links_dict: Any, keys: Any) -> None:
        context = self.data_context
        root = getattr(context, "root_directory", None)
        if not root:  # an ephemeral context: nothing to keep between builds
            return add_links(self, index_links_dict, keys)
        path = Path(root) / "uncommitted" / FILE_NAME
        caching = _CachingContext(context, read_json_dict(path))
        before = dict(caching.entries)
        self.data_context = caching
        try:
            add_links(self, index_links_dict, keys)
        finally:
            self.data_context = context
        kept = {k: v for k, v in caching.entries.items() if k in caching.seen}
        if kept != before:
            _save(path, kept)

    add_links = patch(DefaultSiteIndexBuilder, "_add_validations_to_index_links", _add_validations_to_index_links)
