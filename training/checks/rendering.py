"""Rendering shared by trainguard's expectations: the legacy renderers that Data Docs use for
the expectation text and the observed-value column, reduced to two small hooks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from great_expectations.render import (
    LegacyDiagnosticRendererType,
    LegacyRendererType,
    RenderedStringTemplateContent,
)
from great_expectations.render.renderer.renderer import renderer

from training.gx.summary import number

if TYPE_CHECKING:
    from great_expectations.core import ExpectationValidationResult
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration


def string_template(
    template: str, params: dict[str, Any], runtime_configuration: dict | None
) -> list[RenderedStringTemplateContent]:
    """One string-template block, as GX's core prescriptive renderers return."""
    styling = (runtime_configuration or {}).get("styling", {})
    return [
        RenderedStringTemplateContent(
            content_block_type="string_template",
            string_template={"template": template, "params": params, "styling": styling},
        )
    ]


def against(
    observed: float,
    reference: float,
    name: str,
    *,
    worse: bool,
    formula: str,
    found: float | None,
    threshold: Any,
    whose: str = "",
) -> str:
    """A metric against the one it is compared with: ``1.92 vs production 1.79 (model m3): worse
    by relative_diff 0.07263, at most 0.05 allowed``. Equal values are "equal", not "better"."""
    head = f"{number(observed)} vs {name} {number(reference)}{f' ({whose})' if whose else ''}"
    if observed == reference:
        return f"{head}: equal"
    if not worse:
        return f"{head}: better"
    shown = "infinite" if found is None else number(found)
    return f"{head}: worse by {formula} {shown}, at most {number(threshold)} allowed"


class TextRenderers:
    """Mix in before the GX base class; implement ``_sentence`` and ``_observed_text``.

    ``render_defaults`` fills kwargs left out of the stored suite (GX does not write values
    equal to a field default, and renderers only see the stored kwargs).

    ``measured`` and ``observed_sentence`` are plain functions of a configuration's kwargs and
    GX's result dict: Data Docs' observed-value column shows ``observed_sentence``, and the
    failure lines of the CLI and of task logs (``training.gx.summary.describe``) read
    "<measured>: <observed_sentence>", so a result is worded once for both.
    """

    render_defaults: ClassVar[dict[str, Any]] = {}

    @classmethod
    def _sentence(cls, kwargs: dict[str, Any]) -> str:
        """A ``$param`` template for the expectation column."""
        raise NotImplementedError

    @classmethod
    def _observed_text(cls, observed: Any, details: dict[str, Any], kwargs: dict[str, Any]) -> str:
        """The observed value, and the limit it was held to, for a result that has a value and
        no failure reason (``kwargs`` with ``render_defaults`` applied)."""
        raise NotImplementedError

    @classmethod
    def _measured(cls, kwargs: dict[str, Any]) -> str:
        """What is measured; the column by default."""
        return str(kwargs.get("column") or "")

    @classmethod
    def measured(cls, kwargs: dict[str, Any]) -> str:
        """What the expectation measures, in a few words (``distance_km``, ``holdout mae``)."""
        return cls._measured({**cls.render_defaults, **kwargs})

    @classmethod
    def observed_sentence(cls, kwargs: dict[str, Any], result: dict[str, Any] | None) -> str:
        """The result in words: the value, the limit, or why there is no value."""
        details = (result or {}).get("details") or {}
        observed = (result or {}).get("observed_value")
        if observed is None or details.get("reason"):
            return str(details.get("reason") or "no value")
        return cls._observed_text(observed, details, {**cls.render_defaults, **kwargs})

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(
        cls,
        configuration: ExpectationConfiguration | None = None,
        result: ExpectationValidationResult | None = None,
        runtime_configuration: dict | None = None,
    ) -> list:
        if configuration is None and result is not None:
            configuration = result.expectation_config
        kwargs = {**cls.render_defaults, **(configuration.kwargs if configuration else {})}
        return string_template(cls._sentence(kwargs), kwargs, runtime_configuration)

    @classmethod
    @renderer(renderer_type=LegacyDiagnosticRendererType.OBSERVED_VALUE)
    def _diagnostic_observed_value_renderer(
        cls,
        configuration: ExpectationConfiguration | None = None,
        result: ExpectationValidationResult | None = None,
        runtime_configuration: dict | None = None,
    ) -> str:
        if result is None or result.result is None:
            return "--"
        configuration = configuration or result.expectation_config
        return cls.observed_sentence(dict(configuration.kwargs) if configuration else {}, result.result)
