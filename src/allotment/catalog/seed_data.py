"""What every installation starts with: the seed's features, the four packages and their matrix.

Pure data; the first migration and the start-up check both read it. Matrix values follow the
seed's conventions: -1 unlimited, 0 disabled, 1 enabled (boolean), > 1 a limit.
"""

from __future__ import annotations

from typing import Any

PACKAGES: list[dict[str, Any]] = [
    {"id": "free", "name": "free", "tier": "Free", "sort_order": 1},
    {"id": "starter", "name": "starter", "tier": "Starter", "sort_order": 2},
    {"id": "professional", "name": "professional", "tier": "Professional", "sort_order": 3},
    {"id": "enterprise", "name": "enterprise", "tier": "Enterprise", "sort_order": 4},
]

B, N = "BOOLEAN", "NUMBER"

# id, name, type, category, reset period, parent,
# plan values (free, starter, professional, enterprise)
_FEATURES: list[tuple[str, str, str, str | None, str | None, str | None, tuple[int, ...]]] = [
    ("ai_generation", "AI Content Generation", B, None, None, None, (0, 1, 1, 1)),
    ("advanced_analytics", "Advanced Analytics", B, None, None, None, (0, 0, 1, 1)),
    ("team_collaboration", "Team Collaboration", B, None, None, None, (0, 1, 1, 1)),
    ("ai_posts_limit", "Monthly AI Posts Limit", N, "ai", "month", None, (5, 50, 500, -1)),
    ("social_accounts_limit", "Social Accounts Limit", N, None, None, None, (1, 3, 10, -1)),
    ("docs.client", "Docs: Client", B, "docs", None, None, (1, 1, 1, 1)),
    ("docs.api", "Docs: API", B, "docs", None, None, (0, 1, 1, 1)),
    ("docs.internal", "Docs: Internal", B, "docs", None, None, (0, 0, 0, 1)),
    ("docs.ai", "Docs: AI", B, "docs", None, None, (0, 0, 1, 1)),
    (
        "ai_website_analysis",
        "Website Analysis",
        N,
        "ai_refinement",
        "month",
        None,
        (0, 10, 100, -1),
    ),
    ("ai_field_analysis", "Field Analysis", N, "ai_refinement", "month", None, (0, 20, 200, -1)),
    (
        "ai_one_shot_refinement",
        "One-Shot Refinement",
        N,
        "ai_refinement",
        "month",
        None,
        (0, 20, 200, -1),
    ),
    ("ai_chat_sessions", "Chat Sessions", N, "ai_chat", "month", None, (0, 10, 100, -1)),
    (
        "ai_chat_messages_per_session",
        "Messages Per Chat Session",
        N,
        "ai_chat",
        "per_key",
        None,
        (0, 20, 50, -1),
    ),
    # The Plan and Entitlements page.
    ("recording_download", "Recording download", B, "capabilities", None, None, (0, 1, 1, 1)),
    ("transcript_export", "Transcript export", B, "capabilities", None, None, (0, 1, 1, 1)),
    (
        "transcript_export.csv",
        "CSV",
        B,
        "transcript_export_formats",
        None,
        "transcript_export",
        (0, 1, 1, 1),
    ),
    (
        "transcript_export.txt",
        "TXT",
        B,
        "transcript_export_formats",
        None,
        "transcript_export",
        (0, 1, 1, 1),
    ),
    (
        "transcript_export.pdf",
        "PDF",
        B,
        "transcript_export_formats",
        None,
        "transcript_export",
        (0, 0, 1, 1),
    ),
    ("audit_log_access", "Audit-log access", B, "capabilities", None, None, (0, 0, 1, 1)),
    ("outbound_calling", "Outbound calling", B, "capabilities", None, None, (0, 1, 1, 1)),
    ("integrations", "Integrations", B, "capabilities", None, None, (0, 0, 1, 1)),
    ("api_key_management", "API-key management", B, "capabilities", None, None, (0, 0, 1, 1)),
    ("concurrent_calls", "Concurrent calls", N, "usage_limits", None, None, (1, 5, 25, 100)),
    ("user_seats", "User seats", N, "usage_limits", None, None, (2, 10, 50, -1)),
]

_UNITS = {"concurrent_calls": "calls", "user_seats": "seats"}

FEATURES: list[dict[str, Any]] = [
    {
        "id": fid,
        "name": name,
        "description": None,
        "type": ftype,
        "category": category,
        "default_enabled": False,
        "default_value": 0 if ftype == N else None,
        "unit": _UNITS.get(fid),
        "reset_period": reset,
        "action_name": None,
        "parent_id": parent,
        "requires_child": fid == "transcript_export",
        "child_noun": "format" if fid == "transcript_export" else None,
        "sort_order": i,
    }
    for i, (fid, name, ftype, category, reset, parent, _values) in enumerate(_FEATURES, start=1)
]


def _cell(ftype: str, value: int) -> tuple[bool, int]:
    if ftype == B:
        return (value != 0, 1 if value != 0 else 0)
    return (value != 0, value)


PLAN_CELLS: list[dict[str, Any]] = [
    {
        "id": f"pe-{pkg['id']}-{fid}",
        "package_id": pkg["id"],
        "feature_id": fid,
        "enabled": _cell(ftype, values[p])[0],
        "value": _cell(ftype, values[p])[1],
        "version": 1,
    }
    for fid, _name, ftype, _cat, _reset, _parent, values in _FEATURES
    for p, pkg in enumerate(PACKAGES)
]
