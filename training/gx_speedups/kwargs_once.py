"""Read an expectation's kwargs from one configuration, not one per key.

GX 1.24's ``Expectation`` builds its ``configuration`` (a pydantic ``dict()`` of every field,
then a new ``ExpectationConfiguration``) afresh on each access, and ``_get_domain_kwargs``,
``_get_success_kwargs`` and ``_get_success_kwarg`` access it once per key: about 5,000 builds
and 0.3 s of a 40-expectation suite's run. The replacements below build it once per call and
return the same values (the property depends only on the expectation's fields, which these
methods do not change). GX is pinned (requirements.txt); tests/gx_speedups/test_kwargs_once.py compares
them with GX's own methods.

While a validator validates a suite (``Validator.graph_validate``) each expectation object's
kwargs are built once, not once per read: GX creates a new expectation object from its stored
configuration for each step and does not change it in between, so about 2,000 more builds per
run of an 80-expectation suite become one per object. Each object is held until the
validation ends, so its ``id`` is not reused for another.
"""

from __future__ import annotations

import contextvars
import functools
import logging
from typing import Any

from training.gx_speedups.registry import patch

log = logging.getLogger(__name__)
# GX's own methods, kept for the test that compares them with the replacements.
GX_METHODS: dict[str, Any] = {}
_VALIDATING: contextvars.ContextVar[dict[int, tuple[Any, dict]] | None] = contextvars.ContextVar(
    "trainguard_kwargs_while_validating", default=None
)


def _kwargs(expectation: Any) -> dict:
    built = _VALIDATING.get()
    if built is None:
        return expectation.configuration.kwargs
    found = built.get(id(expectation))
    if found is None:
        found = built[id(expectation)] = (expectation, expectation.configuration.kwargs)
    return found[1]


def _value(expectation: Any, kwargs: dict, key: str) -> Any:
    return kwargs.get(key, expectation._get_default_value(key))


def domain_kwargs(self: Any) -> dict[str, Any]:
    kwargs = _kwargs(self)
    return {key: _value(self, kwargs, key) for key in self.domain_keys}


def success_kwargs(self: Any) -> dict[str, Any]:
    domain = self._get_domain_kwargs()
    kwargs = _kwargs(self)
    found = {key: _value(self, kwargs, key) for key in self.success_keys}
    found.update(domain)
    return found


def success_kwarg(self: Any, key: str, default: Any = None) -> Any:
    kwargs = _kwargs(self)
    if key in kwargs:
        return kwargs[key]
    field = self.__fields__.get(key)
    if field is not None:
        return field.default if not field.required else default
    log.warning('_get_success_kwarg called with key "%s", but it is not a known field of %s', key, type(self).__name__)
    return default


@functools.cache
def install() -> None:
    """Replace the three methods on GX's ``Expectation`` base class once per process."""
    from great_expectations.expectations.expectation import Expectation

    for name, fast in (
        ("_get_domain_kwargs", domain_kwargs),
        ("_get_success_kwargs", success_kwargs),
        ("_get_success_kwarg", success_kwarg),
    ):
        GX_METHODS[name] = patch(Expectation, name, fast)
    _kwargs_once_per_validation()


def _kwargs_once_per_validation() -> None:
    from great_expectations.validator.validator import Validator

    def validate_reading_kwargs_once(self: Any, *args: Any, **kwargs: Any) -> Any:
        token = _VALIDATING.set({})
        try:
            return graph_validate(self, *args, **kwargs)
        finally:
            _VALIDATING.reset(token)

    graph_validate = patch(Validator, "graph_validate", validate_reading_kwargs_once)
