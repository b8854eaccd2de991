"""Human-readable summaries of checkpoint runs: what failed, observed versus expected, where."""

from __future__ import annotations

import json
from typing import Any

from training.gx.results import CRITICAL, BatchResult, ExpectationOutcome, RunResult


def _short(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _label(outcome: ExpectationOutcome) -> str:
    return outcome.expectation + (f" [{outcome.column}]" if outcome.column else "")


# Shown first when an observed value carries details, so a truncated line still has the verdict.
_FIRST = ("value", "reason", "ratio", "threshold", "largest_shift", "unexpected_count", "unexpected_percent")


def _observed(observed: Any) -> str:
    if not isinstance(observed, dict):
        return _short(observed)
    ordered = {k: observed[k] for k in _FIRST if k in observed}
    ordered.update({k: v for k, v in observed.items() if k not in ordered})
    return _short(ordered, 240)


def format_failure(outcome: ExpectationOutcome) -> str:
    expected = ", ".join(f"{k}={_short(v, 60)}" for k, v in outcome.expected.items())
    tag = "FAIL" if outcome.severity == CRITICAL else "WARN"
    return f"  {tag} {_label(outcome)}: observed {_observed(outcome.observed)}; expected {expected}"


def format_batch(result: BatchResult) -> str:
    verdict = "PASSED" if result.success else "FAILED"
    head = f"{result.checkpoint} {result.batch_key}={result.batch_value}: {verdict}"
    if result.error:
        return f"{head} ({result.error})"
    warned = f", {len(result.warnings)} warnings" if result.warnings else ""
    lines = [f"{head} ({len(result.failures)} of {result.evaluated} expectations failed{warned})"]
    lines += [format_failure(f) for f in [*result.failures, *result.warnings]]
    if result.docs_page:
        lines.append(f"  Data Docs: {result.docs_page}")
    return "\n".join(lines)


def format_table(run: RunResult) -> str:
    """One line per batch, for multi-day runs."""
    rows = [f"{'batch':<14} {'result':<7} {'failed':>6} {'warned':>6}  first failure"]
    for r in run.results:
        first = r.error or (_label(r.failures[0]) if r.failures else "")
        verdict = "FAIL" if not r.success else ("warn" if r.warnings else "pass")
        rows.append(f"{r.batch_value:<14} {verdict:<7} {len(r.failures):>6} {len(r.warnings):>6}  {first}")
    passed = sum(r.success for r in run.results)
    rows.append(f"{passed} of {len(run.results)} passed")
    return "\n".join(rows)


def format_docs_problem(reason: str) -> str:
    """The one line saying the Data Docs site was not updated (the verdict stands)."""
    return f"Data Docs not updated: {reason}; run `trainguard docs build`"
