from __future__ import annotations

from allotment.errors import ValidationFailed


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(header: str | None, field: str) -> int | None:
    """``If-Match: "7"`` (or ``W/"7"`` or ``7``) -> 7; absent -> None."""
    if header is None or header.strip() in ("", "*"):
        return None
    raw = header.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise ValidationFailed.field(field, 'If-Match must be a version number such as "3".')
    return int(raw)
