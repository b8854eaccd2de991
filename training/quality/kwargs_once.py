"""Read an expectation's kwargs from one configuration, not one per key.

GX 1.24's ``Expectation`` builds its ``configuration`` (a pydantic ``dict()`` of every field,
then a new ``ExpectationConfiguration``) afresh on each access, and ``_get_domain_kwargs``,
``_get_success_kwargs`` and ``_get_success_kwarg`` access it once per key: about 5,000 builds
and 0.3 s of a 40-expectation suite's run. The replacements below build it once per call and
return the same values (the property depends only on the expectation's fields, which these
methods do not change). GX is pinned (requirements.txt); tests/test_kwargs_once.py compares
them with GX's own methods.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

log = logging.getLogger(__name__)
# GX's own methods, kept for the test that compares them with the replacements.
GX_METHODS: dict[str, Any] = {}


def _value(expectation: Any, kwargs: dict, key: str) -> Any:
    return kwargs.get(key, expectation._get_default_value(key))


def domain_kwargs(self: Any) -> dict[str, Any]:
    kwargs = self.configuration.kwargs
    return {key: _value(self, kwargs, key) for key in self.domain_keys}


def success_kwargs(self: Any) -> dict[str, Any]:
    domain = self._get_domain_kwargs()
    kwargs = self.configuration.kwargs
    found = {key: _value(self, kwargs, key) for key in self.success_keys}
    found.update(domain)
    return found


def success_kwarg(self: Any, key: str, default: Any = None) -> Any:
    kwargs = self.configuration.kwargs
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

    for name in ("_get_domain_kwargs", "_get_success_kwargs", "_get_success_kwarg"):
        GX_METHODS[name] = getattr(Expectation, name)
    Expectation._get_domain_kwargs = domain_kwargs
    Expectation._get_success_kwargs = success_kwargs
    Expectation._get_success_kwarg = success_kwarg
