"""Rendering helpers shared by trainguard's expectations (legacy renderers feed Data Docs)."""

from __future__ import annotations

from typing import Any

from great_expectations.render import RenderedStringTemplateContent


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
