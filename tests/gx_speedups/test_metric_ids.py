"""Metric ids hashed directly from plain kwargs (training/gx_speedups/metric_ids.py) are GX's ids,
for plain kwargs and for everything that still goes through GX's serializer."""

from __future__ import annotations

import datetime as dt
import enum
import json
from pathlib import Path

import numpy as np
import pytest

SUITES = sorted((Path(__file__).resolve().parents[2] / "great_expectations" / "expectations").glob("*.json"))


class Color(enum.StrEnum):
    RED = "red"


def _gx_and_fast(source: dict, **kwargs):
    from great_expectations.core.id_dict import IDDict

    from training.extensions import install as register_extensions
    from training.gx_speedups import metric_ids

    register_extensions()
    value = IDDict(source)
    return metric_ids.GX_TO_ID["to_id"](value, **kwargs), value.to_id(**kwargs)


@pytest.mark.parametrize(
    "source",
    [
        {},
        {"column": "x"},
        {"column": "x", "batch_id": "warehouse-trips-ds-2026-03-01"},
        {"min_value": 1.5, "max_value": 3, "strict_min": False, "mostly": None},
        {"bin_edges": [0.5, 1.25, 1e300, -2.0], "categories": ["a", "b"], "nested": {"k": [1, (2, 3)]}},
        {"value_set": ("a", "b"), "unicode": "zoné ☃"},
        {"quantile_ranges": {"quantiles": [0.25, 0.5], "value_ranges": [[1, 2], [None, 4]]}},
        {"x": float("nan"), "y": 1},
        {"x": float("inf"), "y": -float("inf")},
        {"x": np.float64(0.1), "y": np.int64(3)},
        {"day": dt.date(2026, 3, 1), "y": 1},
        {"values": {1, 2}, "y": 1},
        {"color": Color.RED, "y": 1},
        {1: "integer key", "y": 1},
        {"x": True, "y": [True, None, 0]},
    ],
)
def test_ids_equal_gx(source):
    gx, fast = _gx_and_fast(source)
    assert fast == gx


def test_ids_with_chosen_and_ignored_keys_equal_gx():
    source = {"column": "x", "batch_id": "b", "row_condition": None, "condition_parser": None}
    for kwargs in ({"id_keys": ["column", "batch_id"]}, {"id_ignore_keys": ["batch_id"]}, {"id_keys": ["column"]}):
        gx, fast = _gx_and_fast(source, **kwargs)
        assert fast == gx, kwargs


def test_ids_of_every_shipped_expectations_kwargs_equal_gx():
    kwargs = [e["kwargs"] for path in SUITES for e in json.loads(path.read_text())["expectations"]]
    assert len(kwargs) > 30
    for source in kwargs:
        gx, fast = _gx_and_fast(source)
        assert fast == gx, source
