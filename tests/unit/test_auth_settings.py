"""docs/authsettingsV2.sample.json lets Event Grid, CD, replay and health through, and sends people to sign in for the
approval page; read with a small evaluator of App Service Authentication's documented global validation."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from shared.app.settings import APP_ROOT
from shared.web.principal import principal_name

SAMPLE = APP_ROOT / "docs" / "authsettingsV2.sample.json"
ANSWERS = {"RedirectToLoginPage": "302 to login", "Return401": "401", "Return403": "403", "Return404": "404"}


def verdict(config: dict[str, Any], path: str, signed_in: bool = False) -> str:
    """What the platform does with a request before the app sees it: 'app' (passed through) or its own answer.

    Semantics (authsettingsV2, globalValidation): with the platform off, or requireAuthentication false, or the
    action AllowAnonymous, every request reaches the app (with the principal headers when signed in); otherwise
    an unauthenticated request reaches it only on an excludedPaths entry (the path without the query), and gets
    unauthenticatedClientAction's answer elsewhere.
    """
    props = config["properties"]
    rules = props.get("globalValidation", {})
    action = rules.get("unauthenticatedClientAction", "RedirectToLoginPage")
    if not props.get("platform", {}).get("enabled") or signed_in:
        return "app"
    if not rules.get("requireAuthentication") or action == "AllowAnonymous":
        return "app"
    excluded = {p.lower().rstrip("/") for p in rules.get("excludedPaths", [])}
    return "app" if path.split("?")[0].lower().rstrip("/") in excluded else ANSWERS[action]


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return loaded


@pytest.mark.parametrize(
    "path",
    [
        "/runtime/webhooks/eventgrid?functionName=aml_events&code=k",
        "/runtime/webhooks/eventgrid?functionName=aml_cloudevents&code=k",
        "/api/deployments",
        "/api/replay",
        "/api/health",
    ],
)
def test_machine_routes_get_through_unauthenticated(sample: dict[str, Any], path: str) -> None:
    assert verdict(sample, path) == "app"  # function keys guard them (health is anonymous)


def test_the_approval_page_sends_people_to_sign_in_and_lets_them_through_signed_in(sample: dict[str, Any]) -> None:
    assert verdict(sample, "/api/approvals/credit-risk/7?code=k") == "302 to login"
    assert verdict(sample, "/api/approvals/credit-risk/7?code=k", signed_in=True) == "app"


def test_the_sample_signs_in_with_entra_id_and_keeps_the_secret_in_an_app_setting(sample: dict[str, Any]) -> None:
    aad = sample["properties"]["identityProviders"]["azureActiveDirectory"]
    assert aad["enabled"] and aad["registration"]["clientSecretSettingName"]
    assert "clientSecret" not in aad["registration"]


def test_requiring_sign_in_everywhere_would_block_event_grid() -> None:
    everywhere = {"properties": {"platform": {"enabled": True}, "globalValidation": {"requireAuthentication": True}}}
    assert verdict(everywhere, "/runtime/webhooks/eventgrid?functionName=aml_events") == "302 to login"
    allowed = {
        "properties": {
            "platform": {"enabled": True},
            "globalValidation": {"unauthenticatedClientAction": "AllowAnonymous"},
        }
    }
    assert verdict(allowed, "/runtime/webhooks/eventgrid?functionName=aml_events") == "app"


def encoded(body: object) -> str:
    return base64.b64encode(json.dumps(body).encode()).decode()


def test_the_approver_is_read_from_the_client_principal_claims() -> None:
    principal = {
        "auth_typ": "aad",
        "name_typ": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
        "claims": [
            {"typ": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", "val": "ml-lead@contoso.example"}
        ],
    }
    assert principal_name({"X-MS-CLIENT-PRINCIPAL": encoded(principal)}) == "ml-lead@contoso.example"
    plain = {"claims": [{"typ": "preferred_username", "val": "a@contoso.example"}]}
    assert principal_name({"x-ms-client-principal": encoded(plain).rstrip("=")}) == "a@contoso.example"


@pytest.mark.parametrize("value", ["", "not base64!", encoded([1]), encoded({"claims": "x"})])
def test_an_unreadable_principal_falls_back_to_the_name_header(value: str) -> None:
    headers = {"X-MS-CLIENT-PRINCIPAL": value, "X-MS-CLIENT-PRINCIPAL-NAME": "b@contoso.example"}
    assert principal_name(headers) == "b@contoso.example"
    assert principal_name({"X-MS-CLIENT-PRINCIPAL": value}) is None
