"""Python client for Allotment: entitlement checks evaluated locally, actions, consume, usage.

Everything public is listed in ``__all__``; a test pins it, so the surface changes on purpose.
"""

from allotment_client.async_client import AsyncAllotmentClient
from allotment_client.core import VERSION as __version__
from allotment_client.errors import (
    AllotmentError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDenied,
    ServerUnavailable,
    TransportError,
    ValidationError,
)
from allotment_client.models import ActionResult, Entitlement, FeatureUsage, UsageSummary
from allotment_client.retry import RetryPolicy
from allotment_client.snapshot import Fallback, Snapshot
from allotment_client.sync_client import AllotmentClient

__all__ = [
    "ActionResult",
    "AllotmentClient",
    "AllotmentError",
    "AsyncAllotmentClient",
    "AuthenticationError",
    "ConflictError",
    "Entitlement",
    "Fallback",
    "FeatureUsage",
    "NotFoundError",
    "PermissionDenied",
    "RetryPolicy",
    "ServerUnavailable",
    "Snapshot",
    "TransportError",
    "UsageSummary",
    "ValidationError",
    "__version__",
]
