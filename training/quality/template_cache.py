"""Compile GX's Data Docs templates once per process, not once per page.

GX gives every page, section and component view its own Jinja environment, so each page it
renders parses and compiles the same templates again: about half the time of writing a
validation page. A bytecode cache shared by those environments keeps the compiled code;
Jinja checks each entry against the template's source, so an edited template is recompiled.
"""

from __future__ import annotations

from typing import Any

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

_installed = False


class MemoryBytecodeCache(BytecodeCache):
    """Compiled templates kept in memory for the life of the process."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()

    def clear(self) -> None:
        self._code.clear()


SHARED = MemoryBytecodeCache()


def install() -> None:
    """Give every GX Jinja view the shared cache (GX is pinned: see requirements.txt)."""
    global _installed
    if _installed:
        return
    from great_expectations.render.view.view import DefaultJinjaView

    init = DefaultJinjaView.__init__

    def init_with_cache(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.env.bytecode_cache = SHARED

    DefaultJinjaView.__init__ = init_with_cache
    _installed = True
