"""Expectation kwargs read from one configuration (training/gx_speedups/kwargs_once.py) are the
kwargs GX's own methods read, for every expectation of the shipped suites."""

from __future__ import annotations

import json
from pathlib import Path

SUITES = sorted((Path(__file__).resolve().parents[2] / "great_expectations" / "expectations").glob("*.json"))


def _expectations():
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    from training.extensions import install as register_extensions

    register_extensions()
    for path in SUITES:
        for stored in json.loads(path.read_text())["expectations"]:
            config = ExpectationConfiguration(type=stored["type"], kwargs=stored["kwargs"], meta=stored.get("meta"))
            yield config.to_domain_obj()


def test_kwargs_match_gx_for_every_shipped_expectation():
    from training.gx_speedups import kwargs_once

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


def test_a_suite_validation_builds_each_expectations_kwargs_once(monkeypatch, tmp_path):
    """While a validator validates a suite, an expectation object's kwargs are built once however
    often they are read (fewer than half the configuration builds), and the results are GX's."""
    import pandas as pd
    from great_expectations.expectations.expectation import Expectation

    import great_expectations as gx
    import great_expectations.expectations as gxe
    from training.extensions import install as register_extensions
    from training.gx_speedups import kwargs_once
    from training.gx_speedups.registry import active

    register_extensions()
    context = gx.get_context(mode="ephemeral")
    batch = (
        context.data_sources.add_pandas("p")
        .add_dataframe_asset("d")
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": pd.DataFrame({"x": [1, 2, 3, None], "k": list("abca")})})
    )
    suite = gx.ExpectationSuite(
        name="s",
        expectations=[
            gxe.ExpectColumnValuesToBeBetween(column="x", min_value=1, max_value=2, mostly=0.5),
            gxe.ExpectColumnValuesToBeInSet(column="k", value_set=["a", "b"]),
            gxe.ExpectColumnValuesToNotBeNull(column="x"),
            gxe.ExpectColumnMeanToBeBetween(column="x", min_value=0, max_value=1),
        ],
    )
    with active():
        fast = batch.validate(suite, result_format="COMPLETE")

    from great_expectations.validator.validator import Validator

    builds = []
    configuration = Expectation.configuration
    monkeypatch.setattr(
        Expectation, "configuration", property(lambda self: builds.append(1) or configuration.fget(self))
    )
    with active():
        batch.validate(suite, result_format="COMPLETE")
    once_per_object = len(builds)
    builds.clear()
    with monkeypatch.context() as patched, active():
        patched.setattr(Validator, "graph_validate", Validator.graph_validate.__wrapped__)
        batch.validate(suite, result_format="COMPLETE")
    assert 0 < 2 * once_per_object < len(builds)

    for name, method in kwargs_once.GX_METHODS.items():
        monkeypatch.setattr(Expectation, name, method)
    slow = batch.validate(suite, result_format="COMPLETE")
    builds.clear()
    batch.validate(suite, result_format="COMPLETE")  # outside active(): GX's own methods
    assert len(builds) > 2 * once_per_object
    assert [r.success for r in fast.results] == [r.success for r in slow.results] == [True, False, False, False]
    assert [repr(r.result) for r in fast.results] == [repr(r.result) for r in slow.results]  # NaN != NaN
