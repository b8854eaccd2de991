"""Metric ids of plain kwargs without GX's generic serializer.

GX identifies every metric configuration by a hash of its domain and value kwargs
(``IDDict.to_id``), and first passes the kwargs through ``convert_to_json_serializable``, a
chain of ``isinstance`` checks (pydantic, numpy, pandas, dates, shapes...) for every value.
An 80-expectation suite builds about 3,600 ids per run: 0.05 s. Kwargs made only of strings,
integers, booleans, None, finite floats, lists, tuples and dicts with string keys serialize to
the same JSON without that pass, so their id is hashed directly; anything else (NaN, numpy
values, dates, sets, enums...) goes through GX's method. GX is pinned (requirements.txt);
tests/gx_speedups/test_metric_ids.py compares the ids with GX's own.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from typing import Any

from training.gx_speedups.registry import patch

_SCALARS = (str, int, bool, type(None))
GX_TO_ID: dict[str, Any] = {}


def _plain(value: Any, dict_types: tuple[type, ...]) -> bool:
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is float:
        return math.isfinite(value)
    if kind in (list, tuple):
        return all(_plain(v, dict_types) for v in value)
    if kind in dict_types:
        return all(type(k) is str and _plain(v, dict_types) for k, v in value.items())
    return False


@functools.cache
def install() -> None:
    """Give ``IDDict.to_id`` the fast path once per process."""
    from great_expectations.core.id_dict import IDDict

    to_id = IDDict.to_id
    dict_types = (dict, IDDict)

    def plain_to_id(self: Any, id_keys: Any = None, id_ignore_keys: Any = None) -> Any:
        keys = set(self.keys() if id_keys is None else id_keys)
        keys -= set(self._id_ignore_keys if id_ignore_keys is None else id_ignore_keys)
        if len(keys) < 2 or not all(type(k) is str and _plain(self[k], dict_types) for k in keys):
            return to_id(self, id_keys, id_ignore_keys)
        text = json.dumps({k: self[k] for k in keys}, sort_keys=True)
        # Not for security: a stable cache key, as in GX.
        return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()

    GX_TO_ID["to_id"] = patch(IDDict, "to_id", plain_to_id)
