from __future__ import annotations

import pytest

from allotment.kit.etag import none_match


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('"7"', True),
        ('W/"7"', True),
        ('"3", "7"', True),
        ("*", True),
        ('"8"', False),
        ('"77"', False),
        ("7", False),
        ("", False),
        (None, False),
    ],
)
def test_none_match_against_version_seven(header: str | None, expected: bool) -> None:
    assert none_match(header, '"7"') is expected
