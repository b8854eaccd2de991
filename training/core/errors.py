"""Errors that the CLI maps to exit code 2 (usage or configuration), with one-line messages."""

from __future__ import annotations


class TrainguardError(Exception):
    """A problem the user can fix: bad arguments, missing objects, unreachable services."""


class NotFoundError(TrainguardError):
    """A named checkpoint, suite, table, column, day or model does not exist."""


class WarehouseError(TrainguardError):
    """The warehouse cannot be reached or refused an operation."""


class SettingsError(TrainguardError, ValueError):
    """A ``TRAINGUARD_*`` setting has a value trainguard cannot use (the message names it)."""


class InvalidProjectFileError(TrainguardError):
    """A project file (a hand-edited suite) that GX or trainguard refuses; the command fails
    before anything is validated, so what it wrote meanwhile is undone."""
