"""Plain SQL identifiers, checked without importing SQLAlchemy (pipeline files are read at DAG
parse time)."""

from __future__ import annotations

import re

from training.core.errors import TrainguardError

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def check_identifier(name: str, kind: str = "identifier") -> str:
    """Return ``name`` if it is a plain SQL identifier, else raise a clear error."""
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise TrainguardError(
            f"invalid {kind} name {name!r}: use letters, digits and underscores, starting with a letter or underscore"
        )
    return name
