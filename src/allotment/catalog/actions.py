"""Action names (``WEBSITE_ANALYSIS``) and the features they meter (``ai_website_analysis``)."""

from __future__ import annotations


def default_action_name(feature_id: str) -> str:
    base = feature_id.removeprefix("ai_")
    return "".join(c if c.isalnum() else "_" for c in base).upper()
