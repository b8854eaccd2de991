"""Plain result objects for checkpoint runs, shared by the CLI, Airflow tasks and tests."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

# Keys GX puts into expectation kwargs that say nothing about what was expected.
_NOT_EXPECTATIONS = {"batch_id", "column", "result_format", "catch_exceptions"}
# GX 1.x expectations carry a severity (critical / warning / info; critical when unset). The
# gate (exit code, `success`, the Airflow task, training, promotion) counts critical failures only.
CRITICAL = "critical"


def severity_of(config: Any) -> str:
    """An expectation configuration's severity as text ('critical' when it has none)."""
    value = getattr(config, "severity", None) or CRITICAL
    return str(getattr(value, "value", value)).lower()


def blocks(results: Any) -> bool:
    """Whether GX expectation results contain a failed critical expectation."""
    return any(not r.success and severity_of(r.expectation_config) == CRITICAL for r in results)


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's verdict: what was expected and what was observed."""

    expectation: str
    column: str | None
    success: bool
    observed: Any
    expected: dict[str, Any]
    severity: str = CRITICAL

    @classmethod
    def from_gx(cls, result: Any) -> ExpectationOutcome:
        config = result.expectation_config
        kwargs = dict(config.kwargs)
        return cls(
            expectation=config.type,
            column=kwargs.get("column"),
            success=bool(result.success),
            observed=_observed(result),
            expected={k: v for k, v in kwargs.items() if k not in _NOT_EXPECTATIONS},
            severity=severity_of(config),
        )


def _observed(result: Any) -> Any:
    if result.exception_info and result.exception_info.get("raised_exception"):
        return {"error": result.exception_info.get("exception_message")}
    details = result.result or {}
    if "observed_value" in details:
        observed = details["observed_value"]
        extra = details.get("details")
        # The observed value wins over a detail of the same name (a query check's expected "value").
        return {**extra, "value": observed} if isinstance(extra, dict) and extra else observed
    if "unexpected_count" in details:
        return {
            "unexpected_count": details.get("unexpected_count"),
            "unexpected_percent": details.get("unexpected_percent"),
            "sample": details.get("partial_unexpected_list", [])[:5],
        }
    return details or None


@dataclass
class BatchResult:
    """The outcome of one checkpoint run on one batch (a day, or a model): ``failures`` are the
    failed critical expectations (they decide ``success``), ``warnings`` the failed others."""

    checkpoint: str
    batch_key: str
    batch_value: str
    success: bool
    evaluated: int = 0
    failures: list[ExpectationOutcome] = field(default_factory=list)
    warnings: list[ExpectationOutcome] = field(default_factory=list)
    docs_page: str | None = None
    error: str | None = None
    date: str | None = None
    # Why the Data Docs site was not updated after this validation (the validation is stored,
    # recorded and decided all the same); None when it was.
    docs_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RunResult:
    """All batches of one checkpoint run; it succeeds when every batch does."""

    checkpoint: str
    results: list[BatchResult]
    # Why the site was not updated at the end of the run (a range run's index), if it was not.
    docs_error: str | None = None

    @property
    def success(self) -> bool:
        return bool(self.results) and all(r.success for r in self.results)

    @property
    def docs_problem(self) -> str | None:
        """The first reason the site was not updated during this run (it never decides success)."""
        return next((r.docs_error for r in self.results if r.docs_error), None) or self.docs_error

    def to_dict(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "checkpoint": self.checkpoint,
            "docs_error": self.docs_problem,
            "results": [r.to_dict() for r in self.results],
        }


# Site updates after a validation (GX's docs action, trainguard's pages) run inside GX's
# checkpoint, below any caller: they report a failure here, and whoever runs the checkpoint
# collects it and puts it on the batch's or the run's result.
_SITE_PROBLEMS: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "trainguard_site_problems", default=None
)


@contextlib.contextmanager
def collecting_site_problems() -> Iterator[None]:
    """Within this block, failed site updates are kept for ``take_site_problem``."""
    token = _SITE_PROBLEMS.set([])
    try:
        yield
    finally:
        _SITE_PROBLEMS.reset(token)


def note_site_problem(reason: str) -> None:
    """Report that the Data Docs site was not updated (kept only inside ``collecting_site_problems``)."""
    problems = _SITE_PROBLEMS.get()
    if problems is not None:
        problems.append(reason)


def take_site_problem() -> str | None:
    """The first site problem reported since the last call (the rest are its consequences), or None."""
    problems = _SITE_PROBLEMS.get()
    if not problems:
        return None
    first = problems[0]
    problems.clear()
    return first
