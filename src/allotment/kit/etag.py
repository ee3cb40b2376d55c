from __future__ import annotations

from allotment.errors import ValidationFailed


def etag(version: int, digest: str | None = None) -> str:
    """``"7"``, or ``"7.<digest>"`` where the content can change without the version moving
    (a plan-matrix edit changes a tenant's entitlements but not its edit version)."""
    return f'"{version}.{digest}"' if digest else f'"{version}"'


def parse_if_match(header: str | None, field: str) -> int | None:
    """``If-Match: "7"`` (or ``W/"7"``, ``7`` or ``"7.<digest>"``) -> 7; absent -> None."""
    if header is None or header.strip() in ("", "*"):
        return None
    raw = header.strip().removeprefix("W/").strip('"').partition(".")[0]
    if not raw.isdigit():
        raise ValidationFailed.field(field, 'If-Match must be a version number such as "3".')
    return int(raw)


def none_match(header: str | None, current: str) -> bool:
    """True when ``If-None-Match`` names the current tag, so the answer may be 304.

    Weak comparison (RFC 9110 13.1.2): ``W/"7"`` matches ``"7"``; ``*`` matches any.
    """
    if not header:
        return False
    wanted = current.removeprefix("W/")
    for candidate in header.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == wanted:
            return True
    return False
