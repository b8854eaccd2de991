"""Human-readable summaries of checkpoint runs: each failed expectation as one sentence (what was
measured, the value, the limit, the reason), the verdict of a batch, a table of a range run.

:func:`describe` is the one place a result becomes words, for the CLI, Airflow task logs, the
model gate and the demo. trainguard's own expectations word their results themselves (the
``measured`` and ``observed_sentence`` class methods of ``training.checks.rendering``, which
also fill Data Docs' observed-value column); stock GX expectations are worded here. Text output
rounds to 4 significant digits; ``--json`` keeps the results unrounded and whole.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Callable, Sequence
from typing import Any

from training.gx.results import CRITICAL, BatchResult, ExpectationOutcome, RunResult

# --- numbers and values in words ----------------------------------------------------------------


def number(value: Any, digits: int = 4) -> str:
    """A number for text output: 4 significant digits (``16.86``, ``0.06232``), integers and
    large values with thousands separators (``1,097``, ``123,457``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return str(value)
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    value = float(value)
    if not math.isfinite(value):
        return "infinite" if value > 0 else "-infinite" if value < 0 else "not a number"
    if abs(value) >= 10**digits:
        return f"{round(value):,}"
    return f"{value:.{digits}g}" if abs(value) >= 1e-4 or value == 0 else f"{value:.2e}"


def percent(share: float) -> str:
    """A share (0..1) as a percentage with 3 significant digits: ``20.9%``, ``100%``, ``0.5%``."""
    return f"{share * 100:.3g}%"


def _items(values: Any, limit: int = 5, depth: int = 0) -> str:
    """A list in words: ``app, card, cash``; long lists end with ``and 12 more``."""
    values = list(values) if isinstance(values, list | tuple | set) else [values]
    shown = ", ".join(_plain(v, depth + 1) for v in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def _plain(value: Any, depth: int = 0) -> str:
    """Any observed or expected value without JSON punctuation, numbers rounded."""
    if isinstance(value, dict):
        if depth > 1:
            return f"({len(value)} entries)"
        pairs = [f"{k} {_plain(v, depth + 1)}" for k, v in list(value.items())[:6]]
        more = f" and {len(value) - 6} more" if len(value) > 6 else ""
        return "(" + ", ".join(pairs) + more + ")"
    if isinstance(value, list | tuple):
        return f"[{_items(value, depth=depth)}]" if depth else _items(value)
    if value is None:
        return "none"
    return number(value)


def _bounds(kwargs: dict[str, Any], share: bool = False) -> str:
    """A min/max pair as a limit: ``4.7 to 7.3``, ``at least 0``, ``below 8`` (strict bounds)."""
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    shown: Callable[[Any], str] = percent if share else number
    lo = None if low is None else shown(low) if isinstance(low, int | float) else _plain(low)
    hi = None if high is None else shown(high) if isinstance(high, int | float) else _plain(high)
    strict_lo, strict_hi = kwargs.get("strict_min"), kwargs.get("strict_max")
    if lo is not None and hi is not None and not strict_lo and not strict_hi:
        return f"{lo} to {hi}"
    parts = []
    if lo is not None:
        parts.append(f"{'above' if strict_lo else 'at least'} {lo}")
    if hi is not None:
        parts.append(f"{'below' if strict_hi else 'at most'} {hi}")
    return " and ".join(parts) or "no limit"


def _between(kwargs: dict[str, Any]) -> str:
    """A row-by-row range: ``between 0 and 5``, ``at least 0``, ``above 0 and at most 5``."""
    plain = kwargs.get("min_value") is not None and kwargs.get("max_value") is not None
    if plain and not kwargs.get("strict_min") and not kwargs.get("strict_max"):
        return "between " + _bounds(kwargs).replace(" to ", " and ", 1)
    return _bounds(kwargs)


# --- stock GX expectations ----------------------------------------------------------------------

# Expectations whose observed value is one number compared with min_value/max_value.
_AGGREGATES = {
    "expect_column_mean_to_be_between": "mean",
    "expect_column_median_to_be_between": "median",
    "expect_column_stdev_to_be_between": "standard deviation",
    "expect_column_sum_to_be_between": "sum",
    "expect_column_min_to_be_between": "minimum",
    "expect_column_max_to_be_between": "maximum",
    "expect_column_unique_value_count_to_be_between": "distinct values",
    "expect_column_distinct_count_to_be_between": "distinct values",
    "expect_table_row_count_to_be_between": "row count",
    "expect_table_column_count_to_be_between": "column count",
}
_SHARES = {
    "expect_column_proportion_of_unique_values_to_be_between": "share of distinct values",
    "expect_column_distinct_proportion_to_be_between": "share of distinct values",
    "expect_column_proportion_of_non_null_values_to_be_between": "share of non-null values",
}
# Row-by-row expectations: (subject, what the unexpected rows are), with {c} the column.
_ROWS = {
    "expect_column_values_to_not_be_null": ("nulls in {c}", ""),
    "expect_column_values_to_be_null": ("values of {c} null", "not null"),
    "expect_column_values_to_be_between": ("values of {c} {between}", "outside"),
    "expect_column_values_to_be_in_set": ("values of {c} in {set}", "not in the set"),
    "expect_column_values_to_not_be_in_set": ("values of {c} not in {set}", "in the set"),
    "expect_column_values_to_be_unique": ("values of {c} unique", "duplicated"),
    "expect_column_values_to_match_regex": ("values of {c} matching {regex}", "not matching"),
    "expect_column_values_to_not_match_regex": ("values of {c} not matching {regex}", "matching"),
    "expect_column_value_lengths_to_be_between": ("lengths of {c} {between}", "outside"),
    "expect_column_value_lengths_to_equal": ("lengths of {c} equal to {value}", "of another length"),
}
_TYPES = ("expect_column_values_to_be_in_type_list", "expect_column_values_to_be_of_type")
_EQUALS = {"expect_table_row_count_to_equal": "row count", "expect_table_column_count_to_equal": "column count"}


def _of(what: str, column: Any) -> str:
    return f"{what} of {column}" if column else what


def _stock_subject(expectation: str, kwargs: dict[str, Any]) -> str:
    column = kwargs.get("column")
    if expectation in _AGGREGATES:
        return _of(_AGGREGATES[expectation], column)
    if expectation in _SHARES:
        return _of(_SHARES[expectation], column)
    if expectation in _EQUALS:
        return _EQUALS[expectation]
    if expectation in _ROWS:
        fields = {
            "c": column,
            "between": _between(kwargs),
            "set": "{" + _items(kwargs.get("value_set") or [], 8) + "}",
            "regex": kwargs.get("regex"),
            "value": kwargs.get("value"),
        }
        return _ROWS[expectation][0].format(**fields)
    if expectation in _TYPES:
        return f"column type of {column}"
    named = {
        "expect_table_columns_to_match_set": "columns of the table",
        "expect_table_columns_to_match_ordered_list": "columns of the table, in order",
        "expect_column_to_exist": f"column {column}",
        "expect_column_most_common_value_to_be_in_set": f"most common value of {column}",
        "expect_column_mode_to_be_in_set": f"most common value of {column}",
        "expect_column_distinct_values_to_be_in_set": f"distinct values of {column}",
        "expect_column_distinct_values_to_contain_set": f"distinct values of {column}",
        "expect_column_distinct_values_to_equal_set": f"distinct values of {column}",
        "expect_column_quantile_values_to_be_between": f"quantiles of {column}",
        "expect_column_kl_divergence_to_be_less_than": f"KL divergence of {column}",
    }
    if expectation in named:
        return named[expectation]
    return expectation.removeprefix("expect_").replace("_", " ") + (f" ({column})" if column else "")


def _unexpected_rows(expectation: str, kwargs: dict[str, Any], result: dict[str, Any]) -> str:
    """``52 of 1,097 values (4.74%) not in the set, e.g. bitcoin; at most 2% allowed``."""
    count, share = result.get("unexpected_count"), result.get("unexpected_percent")
    what = _ROWS.get(expectation, ("", "of another type" if expectation in _TYPES else "unexpected"))[1]
    unit = "rows" if expectation == "expect_column_values_to_not_be_null" else "values"
    # GX reports the share of the rows it checked (non-null ones, except for the null checks)
    # but not their number; the share is count / checked * 100, so the number follows from it.
    checked = round(count * 100 / share) if count and share else None
    text = f"{number(count)} of {number(checked)} {unit}" if checked else f"{number(count)} {unit}"
    if share is not None:
        text += f" ({share:.3g}%)"
    text += f" {what}" if what else ""
    sample = [v for v in result.get("partial_unexpected_list") or [] if v is not None][:3]
    if sample:
        text += f", e.g. {_items(sample)}"
    mostly = kwargs.get("mostly")
    if isinstance(mostly, int | float) and mostly < 1:
        return f"{text}; at most {percent(1 - mostly)} allowed"
    return f"{text}; expected none"


# The rest of the stock expectations: (kwargs, observed value, details) -> the text after the subject.
Wording = Callable[[dict[str, Any], Any, dict[str, Any]], str]


def _columns(kwargs: dict[str, Any], observed: Any, details: dict[str, Any]) -> str:
    mismatched = details.get("mismatched") or {}
    parts = [f"{kind} {_items(mismatched[kind], 8)}" for kind in ("missing", "unexpected") if mismatched.get(kind)]
    wanted = _items(kwargs.get("column_set") or kwargs.get("column_list") or [], 12)
    return "; ".join(parts) or f"{_items(observed or [], 12)}, expected {wanted}"


def _modes(kwargs: dict[str, Any], observed: Any, details: dict[str, Any]) -> str:
    return f"{_items(observed or [])}, expected one of {{{_items(kwargs.get('value_set') or [], 8)}}}"


_WORDINGS: dict[str, Wording] = {
    "expect_column_values_to_be_of_type": lambda kw, obs, _: f"{obs}, expected {kw.get('type_')}",
    "expect_column_values_to_be_in_type_list": (
        lambda kw, obs, _: f"{obs}, expected one of {_items(kw.get('type_list') or [], 8)}"
    ),
    "expect_column_to_exist": lambda kw, obs, _: "missing from the table",
    "expect_table_columns_to_match_set": _columns,
    "expect_table_columns_to_match_ordered_list": _columns,
    "expect_column_most_common_value_to_be_in_set": _modes,
    "expect_column_mode_to_be_in_set": _modes,
    "expect_column_kl_divergence_to_be_less_than": (
        lambda kw, obs, _: f"{number(obs)}, expected at most {number(kw.get('threshold'))}"
    ),
}


def _stock_text(expectation: str, kwargs: dict[str, Any], result: dict[str, Any]) -> str:
    observed = result.get("observed_value")
    details = result.get("details") or {}
    if "unexpected_count" in result and "observed_value" not in result:
        return _unexpected_rows(expectation, kwargs, result)
    if expectation in _AGGREGATES:
        return f"{'no value' if observed is None else number(observed)}, expected {_bounds(kwargs)}"
    if expectation in _SHARES:
        shown = "no value" if observed is None else percent(observed)
        return f"{shown}, expected {_bounds(kwargs, share=True)}"
    if expectation in _EQUALS:
        return f"{number(observed)}, expected exactly {number(kwargs.get('value'))}"
    if expectation in _WORDINGS:
        return _WORDINGS[expectation](kwargs, observed, details)
    if expectation.startswith("expect_column_distinct_values_to_"):
        return _distinct_values(expectation, kwargs, observed)
    if expectation == "expect_column_quantile_values_to_be_between" and isinstance(observed, dict):
        return _stock_quantiles(kwargs, observed, details)
    expected = ", ".join(f"{k} {_plain(v)}" for k, v in kwargs.items() if k != "column")
    return f"observed {_plain(observed)}" + (f"; expected {expected}" if expected else "")


def _distinct_values(expectation: str, kwargs: dict[str, Any], observed: Any) -> str:
    found, wanted = list(observed or []), list(kwargs.get("value_set") or [])
    new, missing = [v for v in found if v not in wanted], [v for v in wanted if v not in found]
    parts = []
    if new and not expectation.endswith("contain_set"):
        parts.append(f"{_items(new)} not in the set")
    if missing and not expectation.endswith("be_in_set"):
        parts.append(f"{_items(missing)} missing")
    return "; ".join(parts) or f"{_items(found)}, expected {{{_items(wanted, 8)}}}"


def _stock_quantiles(kwargs: dict[str, Any], observed: dict[str, Any], details: dict[str, Any]) -> str:
    quantiles, values = observed.get("quantiles") or [], observed.get("values") or []
    ranges = (kwargs.get("quantile_ranges") or {}).get("value_ranges") or []
    passed = details.get("success_details") or [False] * len(quantiles)
    notes = [
        f"q{q:g} {number(v)} not in {_bounds({'min_value': r[0], 'max_value': r[1]})}"
        for q, v, r, ok in zip(quantiles, values, ranges, passed, strict=False)
        if not ok
    ]
    return "; ".join(notes) or "all quantiles in range"


# --- the one sentence per result ----------------------------------------------------------------


def _own_wording(expectation: str) -> Any | None:
    """trainguard's expectation class for ``expectation`` when it words its own results.

    Looked up in GX's registry, where trainguard's expectations are registered whenever a
    context was opened (``training.checks`` sits above this layer, so it is not imported here).
    Without GX loaded, nothing is registered and nothing is imported."""
    registry = sys.modules.get("great_expectations.expectations.registry")
    if registry is None:
        return None
    try:
        impl = registry.get_expectation_impl(expectation)
    except Exception:  # not registered (a stock type, or a suite's unknown one): worded here
        return None
    return impl if hasattr(impl, "observed_sentence") and hasattr(impl, "measured") else None


def subject(expectation: str, kwargs: dict[str, Any]) -> str:
    """What an expectation measures, in a few words: ``mean of fare``, ``nulls in tip_rate``."""
    own = _own_wording(expectation)
    found = own.measured(kwargs) if own is not None else _stock_subject(expectation, kwargs)
    return found or expectation.removeprefix("expect_").replace("_", " ")


def describe(expectation: str, kwargs: dict[str, Any], result: dict[str, Any] | None, error: str | None = None) -> str:
    """One expectation result as a sentence: what was measured, the value (rounded), the limit,
    the reason; e.g. ``mean of fare: 12.4, expected 3.1 to 9.8``.

    ``expectation`` is the type, ``kwargs`` its configuration, ``result`` GX's result dict
    (``observed_value``, ``details``, ``unexpected_count``...), ``error`` the message of an
    exception GX caught while evaluating it."""
    what = subject(expectation, kwargs)
    if error:
        return f"{what}: could not be evaluated: {error.strip().splitlines()[0] if error.strip() else 'error'}"
    result = result or {}
    own = _own_wording(expectation)
    if own is not None:
        return f"{what}: {own.observed_sentence(kwargs, result)}"
    if not result and expectation != "expect_column_to_exist":
        return f"{what}: no result"
    return f"{what}: {_stock_text(expectation, kwargs, result)}"


def _gx_parts(outcome: ExpectationOutcome) -> tuple[dict[str, Any], dict[str, Any], str | None]:
    """The kwargs, GX result dict and error an outcome was made from (``results._observed``)."""
    kwargs = {**outcome.expected, **({"column": outcome.column} if outcome.column else {})}
    observed = outcome.observed
    if isinstance(observed, dict) and "error" in observed and len(observed) == 1:
        return kwargs, {}, str(observed["error"] or "error")
    if isinstance(observed, dict) and "unexpected_count" in observed and "value" not in observed:
        sample = observed.get("sample") or []
        return kwargs, {**observed, "partial_unexpected_list": sample}, None
    if isinstance(observed, dict) and "value" in observed:
        details = {k: v for k, v in observed.items() if k != "value"}
        return kwargs, {"observed_value": observed["value"], "details": details}, None
    if isinstance(observed, dict) and not observed:
        return kwargs, {}, None
    return kwargs, {"observed_value": observed}, None


def outcome_sentence(outcome: ExpectationOutcome) -> str:
    """:func:`describe` for a runner's outcome."""
    return describe(outcome.expectation, *_gx_parts(outcome))


def outcome_subject(outcome: ExpectationOutcome) -> str:
    """:func:`subject` for a runner's outcome."""
    return subject(outcome.expectation, _gx_parts(outcome)[0])


def subjects(outcomes: Sequence[ExpectationOutcome], limit: int = 3) -> str:
    """The first failures' subjects, for one-line listings: ``mean of fare, nulls in tip and 2 more``."""
    shown = ", ".join(outcome_subject(o) for o in outcomes[:limit])
    return shown + (f" and {len(outcomes) - limit} more" if len(outcomes) > limit else "")


# --- batches and runs ---------------------------------------------------------------------------


def format_failure(outcome: ExpectationOutcome) -> str:
    tag = "FAIL" if outcome.severity == CRITICAL else "WARN"
    return f"  {tag} {outcome_sentence(outcome)}"


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
    rows = [f"{'batch':<14} {'result':<7} {'failed':>6} {'warned':>6}  failed checks"]
    for r in run.results:
        first = r.error or subjects(r.failures)
        verdict = "FAIL" if not r.success else ("warn" if r.warnings else "pass")
        rows.append(f"{r.batch_value:<14} {verdict:<7} {len(r.failures):>6} {len(r.warnings):>6}  {first}")
    passed = sum(r.success for r in run.results)
    rows.append(f"{passed} of {len(run.results)} passed")
    return "\n".join(rows)


def format_docs_problem(reason: str) -> str:
    """The one line saying the Data Docs site was not updated (the verdict stands)."""
    return f"Data Docs not updated: {reason}; run `trainguard docs build`"
