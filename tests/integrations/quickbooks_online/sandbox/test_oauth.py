"""OAuth 2.0 like Intuit's: discovery, consent, code exchange, rolling refresh, revoke, expiry."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from . import recorded
from .conftest import CompanyAPI, json_of
from .shapes import assert_same_shape

REDIRECT_URI = "http://127.0.0.1:8000/erp/quickbooks-online/callback/"
SCOPE = "com.intuit.quickbooks.accounting"


@pytest.fixture
def discovery(qbo_sandbox) -> dict:
    response = requests.get(qbo_sandbox.discovery_url, timeout=5)
    assert response.status_code == 200
    return response.json()


def authorize(qbo_sandbox, discovery, **overrides) -> requests.Response:
    params = {
        "client_id": qbo_sandbox.client_id,
        "response_type": "code",
        "scope": SCOPE,
        "redirect_uri": REDIRECT_URI,
        "state": "xyz-123",
        **overrides,
    }
    return requests.get(
        discovery["authorization_endpoint"], params=params, allow_redirects=False, timeout=5
    )


def redirect_params(response: requests.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def token_call(qbo_sandbox, discovery, form: dict, auth=None) -> requests.Response:
    return requests.post(
        discovery["token_endpoint"],
        data=form,
        auth=auth or (qbo_sandbox.client_id, qbo_sandbox.client_secret),
        headers={"Accept": "application/json"},
        timeout=5,
    )


def connect(qbo_sandbox, discovery) -> dict:
    params = redirect_params(authorize(qbo_sandbox, discovery))
    response = token_call(
        qbo_sandbox,
        discovery,
        {"grant_type": "authorization_code", "code": params["code"], "redirect_uri": REDIRECT_URI},
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_discovery_names_every_endpoint_on_this_server(qbo_sandbox, discovery):
    for key in (
        "authorization_endpoint",
        "token_endpoint",
        "revocation_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "issuer",
    ):
        assert discovery[key].startswith(qbo_sandbox.base_url), key
    sandbox_variant = requests.get(
        f"{qbo_sandbox.base_url}/.well-known/openid_sandbox_configuration/", timeout=5
    )
    assert sandbox_variant.json() == discovery


def test_consent_page_then_redirect_with_code_state_and_realm(qbo_sandbox, discovery):
    qbo_sandbox.set_auto_approve(False)
    page = authorize(qbo_sandbox, discovery)
    assert page.status_code == 200
    assert ">Connect</button>" in page.text
    consent = requests.post(
        discovery["authorization_endpoint"],
        data={
            "client_id": qbo_sandbox.client_id,
            "response_type": "code",
            "scope": SCOPE,
            "redirect_uri": REDIRECT_URI,
            "state": "xyz-123",
            "decision": "connect",
        },
        allow_redirects=False,
        timeout=5,
    )
    params = redirect_params(consent)
    assert params["state"] == "xyz-123"
    assert params["realmId"] == qbo_sandbox.realm_id
    assert params["code"]


def test_cancelling_consent_redirects_with_access_denied(qbo_sandbox, discovery):
    qbo_sandbox.set_auto_approve(False)
    cancel = requests.post(
        discovery["authorization_endpoint"],
        data={
            "client_id": qbo_sandbox.client_id,
            "response_type": "code",
            "scope": SCOPE,
            "redirect_uri": REDIRECT_URI,
            "state": "s",
            "decision": "cancel",
        },
        allow_redirects=False,
        timeout=5,
    )
    assert redirect_params(cancel) == {"error": "access_denied", "state": "s"}


def test_authorize_validates_client_redirect_scope_and_response_type(qbo_sandbox, discovery):
    assert authorize(qbo_sandbox, discovery, client_id="someone-else").status_code == 400
    assert authorize(qbo_sandbox, discovery, redirect_uri="not a url").status_code == 400
    assert (
        redirect_params(authorize(qbo_sandbox, discovery, scope="openid"))["error"]
        == "invalid_scope"
    )
    assert (
        redirect_params(authorize(qbo_sandbox, discovery, response_type="token"))["error"]
        == "unsupported_response_type"
    )


def test_code_exchange_gives_intuit_shaped_tokens_that_work(qbo_sandbox, discovery):
    tokens = connect(qbo_sandbox, discovery)
    assert_same_shape(tokens, recorded.TOKEN_RESPONSE)
    assert (tokens["token_type"], tokens["expires_in"], tokens["x_refresh_token_expires_in"]) == (
        "bearer",
        3600,
        8726400,
    )
    api = CompanyAPI(qbo_sandbox, tokens["access_token"])
    assert api.query("select * from CompanyInfo").status_code == 200


def test_a_code_works_once_and_only_with_its_redirect_uri(qbo_sandbox, discovery):
    code = redirect_params(authorize(qbo_sandbox, discovery))["code"]
    wrong = token_call(
        qbo_sandbox,
        discovery,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": "http://elsewhere/"},
    )
    assert (wrong.status_code, wrong.json()) == (400, {"error": "invalid_grant"})
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    assert token_call(qbo_sandbox, discovery, form).status_code == 200
    assert token_call(qbo_sandbox, discovery, form).json() == {"error": "invalid_grant"}


def test_token_endpoint_needs_basic_client_authentication(qbo_sandbox, discovery):
    response = token_call(
        qbo_sandbox,
        discovery,
        {"grant_type": "refresh_token", "refresh_token": "x"},
        auth=("sandbox-client", "wrong"),
    )
    assert (response.status_code, response.json()) == (401, {"error": "invalid_client"})
    unsupported = token_call(qbo_sandbox, discovery, {"grant_type": "password"})
    assert (unsupported.status_code, unsupported.json()) == (
        400,
        {"error": "unsupported_grant_type"},
    )


def test_refresh_rotates_and_an_older_token_dies_once_a_newer_one_is_used(qbo_sandbox, discovery):
    first = connect(qbo_sandbox, discovery)
    refresh = {"grant_type": "refresh_token"}
    second = token_call(
        qbo_sandbox, discovery, {**refresh, "refresh_token": first["refresh_token"]}
    ).json()
    assert second["refresh_token"] != first["refresh_token"]
    # The response was lost: the old refresh token still works until the new one is used.
    lost_retry = token_call(
        qbo_sandbox, discovery, {**refresh, "refresh_token": first["refresh_token"]}
    )
    assert lost_retry.status_code == 200
    third = token_call(
        qbo_sandbox, discovery, {**refresh, "refresh_token": lost_retry.json()["refresh_token"]}
    )
    assert third.status_code == 200
    stale = token_call(qbo_sandbox, discovery, {**refresh, "refresh_token": first["refresh_token"]})
    assert (stale.status_code, stale.json()) == (400, {"error": "invalid_grant"})


def test_expired_access_token_gets_401_and_a_refresh_fixes_it(qbo_sandbox, discovery):
    tokens = connect(qbo_sandbox, discovery)
    qbo_sandbox.expire_access_tokens()
    api = CompanyAPI(qbo_sandbox, tokens["access_token"])
    response = api.query("select * from Vendor")
    assert response.status_code == 401
    assert json_of(response)["fault"]["error"][0]["code"] == "3200"
    assert json_of(response)["fault"]["error"][0]["detail"] == "Token expired"
    renewed = token_call(
        qbo_sandbox,
        discovery,
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    ).json()
    assert (
        CompanyAPI(qbo_sandbox, renewed["access_token"]).query("select * from Vendor").status_code
        == 200
    )


def test_short_lived_tokens_expire_on_their_own(qbo_sandbox):
    tokens = qbo_sandbox.issue_tokens(access_ttl_seconds=0.2)
    assert tokens["expires_in"] == 0
    api = CompanyAPI(qbo_sandbox, tokens["access_token"])
    assert api.query("select * from Vendor").status_code == 200
    time.sleep(0.25)
    assert api.query("select * from Vendor").status_code == 401


def test_revoked_refresh_tokens_get_invalid_grant(qbo_sandbox, discovery):
    tokens = connect(qbo_sandbox, discovery)
    qbo_sandbox.revoke_refresh_tokens()
    response = token_call(
        qbo_sandbox,
        discovery,
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert (response.status_code, response.json()) == (400, {"error": "invalid_grant"})


def test_revoke_endpoint_ends_the_whole_grant(qbo_sandbox, discovery):
    tokens = connect(qbo_sandbox, discovery)
    response = requests.post(
        discovery["revocation_endpoint"],
        json={"token": tokens["refresh_token"]},
        auth=(qbo_sandbox.client_id, qbo_sandbox.client_secret),
        timeout=5,
    )
    assert response.status_code == 200
    assert (
        CompanyAPI(qbo_sandbox, tokens["access_token"]).query("select * from Vendor").status_code
        == 401
    )
    refresh = token_call(
        qbo_sandbox,
        discovery,
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert refresh.json() == {"error": "invalid_grant"}


def test_a_token_for_one_company_is_forbidden_on_another(qbo_sandbox):
    qbo_sandbox.add_company("9341453050000002", "Second Co")
    tokens = qbo_sandbox.issue_tokens()
    response = CompanyAPI(qbo_sandbox, tokens["access_token"], "9341453050000002").query(
        "select * from Vendor"
    )
    assert response.status_code == 403
    fault = json_of(response)["fault"]
    assert (fault["type"], fault["error"][0]["code"]) == ("SERVICE", "3100")


def test_unknown_bearer_token_is_rejected(qbo_sandbox):
    response = CompanyAPI(qbo_sandbox, "not-a-token").query("select * from Vendor")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_userinfo_needs_a_token(qbo_sandbox, discovery):
    tokens = qbo_sandbox.issue_tokens()
    ok = requests.get(
        discovery["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=5,
    )
    assert ok.status_code == 200
    assert ok.json()["email"]
    assert requests.get(discovery["userinfo_endpoint"], timeout=5).status_code == 401
