"""The public surface is pinned: adding or removing a public name must be deliberate."""

from __future__ import annotations

from importlib import resources

import allotment_client

PUBLIC = {
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
}

CLIENT_METHODS = {
    "check_entitlement",
    "get_limit",
    "get_entitlement",
    "snapshot",
    "load",
    "refresh",
    "check_ai_action",
    "consume",
    "get_usage_summary",
}


def test_all_lists_exactly_the_public_names() -> None:
    assert sorted(allotment_client.__all__) == sorted(PUBLIC)
    assert len(allotment_client.__all__) == len(PUBLIC)
    for name in PUBLIC:
        assert hasattr(allotment_client, name), name


def test_no_other_public_names_leak_from_the_package() -> None:
    modules = {
        "async_client",
        "core",
        "errors",
        "models",
        "retry",
        "snapshot",
        "sync_client",
        "wire",
    }
    exposed = {n for n in vars(allotment_client) if not n.startswith("_")} - modules
    assert exposed == PUBLIC - {"__version__"}


def test_clients_offer_the_same_calls() -> None:
    for cls in (allotment_client.AllotmentClient, allotment_client.AsyncAllotmentClient):
        public = {n for n in vars(cls) if not n.startswith("_")}
        assert public - {"close", "aclose"} == CLIENT_METHODS, cls


def test_errors_share_one_base() -> None:
    for name in PUBLIC:
        value = getattr(allotment_client, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, allotment_client.AllotmentError), name
    assert issubclass(allotment_client.TransportError, allotment_client.ServerUnavailable)


def test_package_is_typed() -> None:
    assert resources.files("allotment_client").joinpath("py.typed").is_file()
