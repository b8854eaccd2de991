"""GX's Decimal-to-float conversion without a walk of the call stack.

GX turns every ``Decimal`` it serializes (a PostgreSQL ``numeric`` mean or standard deviation
of an integer column) into a float with ``great_expectations.util.convert_decimal_to_float``,
which first calls ``inspect.stack()`` (reading the source file of every frame) only to decide
whether to log "Using lossy conversion ..." (not when GX's rule-based profiler is the caller).
That was 0.085 s per Decimal, 0.17 s of a day with two integer columns. The result is
``float(d)`` either way; inside ``registry.active()`` (trainguard's runner, which never runs the
rule-based profiler) the warning is decided without the stack walk and the same value returned.
"""

from __future__ import annotations

import decimal
import functools
from typing import SupportsFloat

from training.gx_speedups.registry import patch


@functools.cache
def install() -> None:
    import great_expectations.util as gx_util

    def convert_decimal_to_float(d: SupportsFloat) -> float:
        if isinstance(d, decimal.Decimal) and gx_util.requires_lossy_conversion(d=d):
            gx_util.logger.warning(f"Using lossy conversion for decimal {d} to float object to support serialization.")
        return float(d)

    patch(gx_util, "convert_decimal_to_float", convert_decimal_to_float)
