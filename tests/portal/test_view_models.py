from __future__ import annotations

from allotment.catalog.snapshot import FeatureDef
from allotment.entitlements.resolution import Effective, Source
from allotment.portal.view_models import build_page

FEATURES = {
    "recording_download": FeatureDef("recording_download", "Recording download", "BOOLEAN"),
    "transcript_export": FeatureDef("transcript_export", "Transcript export", "BOOLEAN"),
    "transcript_export.pdf": FeatureDef(
        "transcript_export.pdf", "PDF", "BOOLEAN", parent_id="transcript_export", sort_order=3
    ),
    "transcript_export.csv": FeatureDef(
        "transcript_export.csv", "CSV", "BOOLEAN", parent_id="transcript_export", sort_order=1
    ),
    "concurrent_calls": FeatureDef("concurrent_calls", "Concurrent calls", "NUMBER", unit="calls"),
    "user_seats": FeatureDef("user_seats", "User seats", "NUMBER", unit="seats"),
}


def _eff(
    fid: str, enabled: bool, value: int | None = None, source: Source = Source.PLAN
) -> Effective:
    return Effective(fid, FEATURES[fid].type, enabled, value, source)


def test_limits_read_as_a_person_would_say_them() -> None:
    effective = {
        "recording_download": _eff("recording_download", True, 1),
        "transcript_export": _eff("transcript_export", False, 0),
        "transcript_export.csv": _eff("transcript_export.csv", False, 0),
        "transcript_export.pdf": _eff("transcript_export.pdf", False, 0),
        "concurrent_calls": _eff("concurrent_calls", True, 25),
        "user_seats": _eff("user_seats", True, -1, Source.OVERRIDE),
    }
    page = build_page("detail", "Professional", FEATURES, effective)
    assert [(i.label, i.display) for i in page.limits] == [
        ("Concurrent calls", "25 calls"),
        ("User seats", "Unlimited"),
    ]
    assert [i.label for i in page.formats] == ["CSV", "PDF"]
    assert [(i.label, i.display) for i in page.capabilities] == [
        ("Recording download", "Included"),
        ("Transcript export", "Not included"),
    ]
    assert page.summary == "1 of 2 capabilities are included in your plan."
    assert not page.empty


def test_a_zero_or_disabled_limit_is_not_included() -> None:
    effective = {
        "concurrent_calls": _eff("concurrent_calls", False, 0),
        "user_seats": _eff("user_seats", False, 10),
    }
    page = build_page("detail", "Free", FEATURES, effective)
    assert [i.display for i in page.limits] == ["Not included", "Not included"]


def test_nothing_from_a_plan_or_an_override_is_the_empty_state() -> None:
    effective = {fid: _eff(fid, False, 0, Source.DEFAULT) for fid in FEATURES}
    assert build_page("edit", "Bare", FEATURES, effective).empty
    effective["user_seats"] = _eff("user_seats", True, 5, Source.OVERRIDE)
    assert not build_page("edit", "Bare", FEATURES, effective).empty
