"""The real OpenFeature SDK with the OFREP provider, reading entitlements from a live server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from openfeature import api
from openfeature.client import OpenFeatureClient
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import Reason

from tests.live_server import LiveServer, live_server

DOMAIN = "allotment-live-test"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("ofrep-live")) as running:
        yield running


@pytest.fixture(scope="module")
def tenant(live: LiveServer) -> dict[str, str]:
    created = live.create_tenant("starter")
    return {"id": created["id"], "key": live.create_tenant_key(created["id"])}


@pytest.fixture
def flags(live: LiveServer, tenant: dict[str, str]) -> Iterator[OpenFeatureClient]:
    headers = {"Authorization": f"Bearer {tenant['key']}"}
    api.set_provider(OFREPProvider(live.base_url, headers_factory=lambda: headers), DOMAIN)
    yield api.get_client(DOMAIN)
    api.clear_providers()


def test_boolean_feature_reads_as_boolean_flag(
    flags: OpenFeatureClient, tenant: dict[str, str]
) -> None:
    context = EvaluationContext(targeting_key=tenant["id"])
    assert flags.get_boolean_value("ai_generation", False, context) is True
    assert flags.get_boolean_value("advanced_analytics", True, context) is False
    details = flags.get_boolean_details("ai_generation", False, context)
    assert details.reason == Reason.TARGETING_MATCH
    assert details.variant == "on"
    assert details.error_code is None


def test_number_feature_reads_as_integer_flag(
    flags: OpenFeatureClient, tenant: dict[str, str]
) -> None:
    context = EvaluationContext(targeting_key=tenant["id"])
    assert flags.get_integer_value("ai_website_analysis", -99, context) == 10
    assert flags.get_integer_value("ai_posts_limit", -99, context) == 50
    details = flags.get_integer_details("ai_chat_sessions", -99, context)
    assert (details.value, details.variant) == (10, "limited")


def test_override_reaches_the_flag(
    live: LiveServer, flags: OpenFeatureClient, tenant: dict[str, str]
) -> None:
    live.set_entitlement(tenant["id"], "social_accounts_limit", True, 42)
    context = EvaluationContext(targeting_key=tenant["id"])
    assert flags.get_integer_value("social_accounts_limit", -99, context) == 42


def test_unknown_flag_gives_the_default_with_flag_not_found(
    flags: OpenFeatureClient, tenant: dict[str, str]
) -> None:
    context = EvaluationContext(targeting_key=tenant["id"])
    details = flags.get_boolean_details("no_such_feature", True, context)
    assert details.value is True
    assert details.error_code == ErrorCode.FLAG_NOT_FOUND
    assert details.reason == Reason.ERROR


def test_missing_targeting_key_gives_the_default_with_its_error(
    flags: OpenFeatureClient,
) -> None:
    details = flags.get_integer_details("ai_website_analysis", 7, EvaluationContext())
    assert details.value == 7
    assert details.error_code == ErrorCode.TARGETING_KEY_MISSING


def test_another_tenant_is_not_readable_with_this_key(
    live: LiveServer, flags: OpenFeatureClient
) -> None:
    other = live.create_tenant("enterprise")
    details = flags.get_integer_details(
        "ai_website_analysis", 7, EvaluationContext(targeting_key=other["id"])
    )
    assert details.value == 7
    assert details.error_code == ErrorCode.INVALID_CONTEXT
