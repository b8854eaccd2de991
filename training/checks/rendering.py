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


class TextRenderers:
    """Mix in before the GX base class; implement ``_sentence`` and ``_observed_text``.

    ``render_defaults`` fills kwargs left out of the stored suite (GX does not write values
    equal to a field default, and renderers only see the stored kwargs).
    """

    render_defaults: ClassVar[dict[str, Any]] = {}

    @classmethod
    def _sentence(cls, kwargs: dict[str, Any]) -> str:
        """A ``$param`` template for the expectation column."""
        raise NotImplementedError

    @classmethod
    def _observed_text(cls, observed: Any, details: dict[str, Any]) -> str:
        """The observed-value column for a result that has a value and no failure reason."""
        raise NotImplementedError

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
        details = result.result.get("details") or {}
        observed = result.result.get("observed_value")
        if observed is None or details.get("reason"):
            return details.get("reason", "no value")
        return cls._observed_text(observed, details)
