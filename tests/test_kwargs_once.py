"""Expectation kwargs read from one configuration (training/quality/kwargs_once.py) are the
kwargs GX's own methods read, for every expectation of the shipped suites."""

from __future__ import annotations

import json
from pathlib import Path

SUITES = sorted((Path(__file__).resolve().parent.parent / "great_expectations" / "expectations").glob("*.json"))


def _expectations():
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    from training.quality.context import register_extensions

    register_extensions()
    for path in SUITES:
        for stored in json.loads(path.read_text())["expectations"]:
            config = ExpectationConfiguration(type=stored["type"], kwargs=stored["kwargs"], meta=stored.get("meta"))
            yield config.to_domain_obj()


def test_kwargs_match_gx_for_every_shipped_expectation():
    from training.quality import kwargs_once

    expectations = list(_expectations())
    assert len({type(e) for e in expectations}) >= 10
    gx = kwargs_once.GX_METHODS
    for expectation in expectations:
        assert expectation._get_domain_kwargs() == gx["_get_domain_kwargs"](expectation)
        assert expectation._get_success_kwargs() == gx["_get_success_kwargs"](expectation)
        for key in (*expectation.success_keys, *expectation.runtime_keys, "no_such_key"):
            assert expectation._get_success_kwarg(key, "default") == gx["_get_success_kwarg"](
                expectation, key, "default"
            ), key
