"""The identity service: code flow (consent page, PKCE, client authentication by Basic or form),
rotating refresh tokens, revocation, connections, and what the accounting API says to a token
that is expired, revoked, for another tenant or without the scope."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from urllib.parse import parse_qs, urlsplit

import requests

from integrations.xero.sandbox.app import SandboxConfig
from integrations.xero.sandbox.control import SandboxHandle
from integrations.xero.sandbox.server import start_in_thread

from .conftest import XeroAPI, json_of

REDIRECT_URI = "http://127.0.0.1:9/callback"


def authorize(handle, *, scope="offline_access accounting.contacts", follow_consent=False, **extra):
    params = {
        "response_type": "code",
        "client_id": handle.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        "state": "s-1",
        **extra,
    }
    return requests.get(
        f"{handle.base_url}/identity/connect/authorize",
        params=params,
        allow_redirects=False,
        timeout=10,
    )


def code_of(response) -> str:
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]


def token(handle, form: dict, *, basic: bool = True):
    auth = (handle.client_id, handle.client_secret) if basic else None
    return requests.post(f"{handle.base_url}/connect/token", data=form, auth=auth, timeout=10)


def exchange(handle, code: str, **form):
    answer = token(
        handle,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, **form},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def jwt_claims(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_the_code_flow_answers_exactly_xeros_token_fields(xero_sandbox):
    tokens = exchange(xero_sandbox, code_of(authorize(xero_sandbox)))
    assert set(tokens) == {"access_token", "expires_in", "token_type", "refresh_token", "scope"}
    assert (tokens["expires_in"], tokens["token_type"]) == (1800, "Bearer")
    claims = jwt_claims(tokens["access_token"])
    assert claims["scope"] == ["offline_access", "accounting.contacts"]
    connections = requests.get(
        f"{xero_sandbox.base_url}/connections",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    ).json()
    assert [c["authEventId"] for c in connections] == [claims["authentication_event_id"]]


def test_no_refresh_token_without_offline_access_and_an_id_token_with_openid(xero_sandbox):
    tokens = exchange(
        xero_sandbox,
        code_of(authorize(xero_sandbox, scope="openid accounting.contacts", nonce="n-7")),
    )
    assert "refresh_token" not in tokens
    assert jwt_claims(tokens["id_token"])["nonce"] == "n-7"


def test_a_code_works_once_and_only_with_its_redirect_uri(xero_sandbox):
    code = code_of(authorize(xero_sandbox))
    wrong = token(
        xero_sandbox,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://127.0.0.1:9/other",
        },
    )
    assert (wrong.status_code, wrong.json()) == (400, {"error": "invalid_grant"})
    exchange(xero_sandbox, code)
    again = token(
        xero_sandbox,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
    )
    assert again.json() == {"error": "invalid_grant"}


def test_client_credentials_in_the_form_body_work_and_a_wrong_secret_does_not(xero_sandbox):
    form = {
        "grant_type": "authorization_code",
        "code": code_of(authorize(xero_sandbox)),
        "redirect_uri": REDIRECT_URI,
        "client_id": xero_sandbox.client_id,
    }
    assert token(xero_sandbox, {**form, "client_secret": "wrong"}, basic=False).json() == {
        "error": "invalid_client"
    }
    answer = token(xero_sandbox, {**form, "client_secret": xero_sandbox.client_secret}, basic=False)
    assert answer.status_code == 200


def test_pkce_needs_the_verifier_that_matches_the_challenge(xero_sandbox):
    verifier = "v" * 50
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    code = code_of(authorize(xero_sandbox, code_challenge=challenge, code_challenge_method="S256"))
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": xero_sandbox.client_id,
    }
    assert token(xero_sandbox, {**form, "code_verifier": "x" * 50}, basic=False).status_code == 400
    answer = token(xero_sandbox, {**form, "code_verifier": verifier}, basic=False)
    assert answer.status_code == 200, answer.text


def s256(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


def test_a_code_verifier_must_be_43_to_128_unreserved_characters(xero_sandbox):
    for verifier in ("v" * 42, "v" * 129, "v" * 42 + "!"):
        code = code_of(
            authorize(xero_sandbox, code_challenge=s256(verifier), code_challenge_method="S256")
        )
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": xero_sandbox.client_id,
            "code_verifier": verifier,
        }
        answer = token(xero_sandbox, form, basic=False)
        assert answer.json() == {
            "error": "invalid_grant",
            "error_description": "Invalid code_verifier",
        }


def test_a_pkce_app_revokes_its_grant_naming_only_its_client_id(xero_sandbox):
    verifier = "v" * 64
    code = code_of(
        authorize(xero_sandbox, code_challenge=s256(verifier), code_challenge_method="S256")
    )
    tokens = exchange(xero_sandbox, code, client_id=xero_sandbox.client_id, code_verifier=verifier)
    revoke = {"token": tokens["refresh_token"], "client_id": xero_sandbox.client_id}
    answer = requests.post(f"{xero_sandbox.base_url}/connect/revocation", data=revoke, timeout=10)
    assert answer.status_code == 200
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert token(xero_sandbox, form).json() == {"error": "invalid_grant"}


def test_only_a_registered_redirect_uri_is_sent_the_code(tmp_path):
    server = start_in_thread(
        SandboxConfig(
            data_file=str(tmp_path / "xero.sqlite3"),
            auto_approve=True,
            redirect_uris=(REDIRECT_URI,),
        )
    )
    try:
        handle = SandboxHandle(server.base_url)
        assert handle.status()["redirect_uris"] == [REDIRECT_URI]
        for elsewhere in ("https://attacker.example/steal", REDIRECT_URI + "/"):
            refused = authorize(handle, redirect_uri=elsewhere)
            assert refused.status_code == 400
            assert "Location" not in refused.headers
        code_of(authorize(handle))
    finally:
        server.shutdown()
        server.server_close()
        server.sandbox.store.close()


def test_refresh_rotates_and_a_used_refresh_token_still_works_during_its_grace(xero_sandbox):
    first = exchange(xero_sandbox, code_of(authorize(xero_sandbox)))
    form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    second = token(xero_sandbox, form).json()
    assert second["refresh_token"] != first["refresh_token"]
    # The answer was lost: the client retries with the refresh token it still has.
    retried = token(xero_sandbox, form).json()
    assert retried["access_token"] != second["access_token"]
    assert token(xero_sandbox, {**form, "refresh_token": "nope"}).json() == {
        "error": "invalid_grant"
    }


def test_revoking_the_refresh_token_disconnects_and_ends_its_tokens(xero_sandbox):
    tokens = exchange(xero_sandbox, code_of(authorize(xero_sandbox)))
    answer = requests.post(
        f"{xero_sandbox.base_url}/connect/revocation",
        data={"token": tokens["refresh_token"]},
        auth=(xero_sandbox.client_id, xero_sandbox.client_secret),
        timeout=10,
    )
    assert answer.status_code == 200
    api = XeroAPI(xero_sandbox, tokens["access_token"])
    assert api.get("Contacts").status_code == 401
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert token(xero_sandbox, form).json() == {"error": "invalid_grant"}


def test_revoking_one_refresh_token_removes_every_connection_of_the_user(xero_sandbox):
    first = exchange(xero_sandbox, code_of(authorize(xero_sandbox)))
    second_tenant = xero_sandbox.add_organisation("NZ")
    xero_sandbox.set_consent(auto_approve=True, tenant_ids=[second_tenant])
    second = exchange(xero_sandbox, code_of(authorize(xero_sandbox)))

    def connected(tokens) -> list[str]:
        answer = requests.get(
            f"{xero_sandbox.base_url}/connections",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
            timeout=10,
        )
        return sorted(c["tenantId"] for c in answer.json())

    assert connected(first) == sorted([xero_sandbox.tenant_id, second_tenant])
    answer = requests.post(
        f"{xero_sandbox.base_url}/connect/revocation",
        data={"token": second["refresh_token"]},
        auth=(xero_sandbox.client_id, xero_sandbox.client_secret),
        timeout=10,
    )
    assert answer.status_code == 200
    assert connected(first) == []
    assert XeroAPI(xero_sandbox, first["access_token"]).get("Contacts").status_code == 403


def test_the_consent_page_lets_the_user_choose_the_organisations(xero_sandbox):
    second = xero_sandbox.add_organisation("NZ")
    xero_sandbox.set_consent(auto_approve=False)
    page = authorize(xero_sandbox, scope="accounting.settings.read")
    assert page.status_code == 200 and "Allow access" in page.text
    form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page.text))
    form.pop("tenant_id", None)
    answer = requests.post(
        f"{xero_sandbox.base_url}/identity/connect/authorize",
        data=[
            *form.items(),
            ("tenant_id", xero_sandbox.tenant_id),
            ("tenant_id", second),
            ("decision", "allow"),
        ],
        allow_redirects=False,
        timeout=10,
    )
    tokens = exchange(xero_sandbox, code_of(answer))
    connections = requests.get(
        f"{xero_sandbox.base_url}/Connections",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    ).json()
    assert {c["tenantId"] for c in connections} == {xero_sandbox.tenant_id, second}
    nz = XeroAPI(xero_sandbox, tokens["access_token"], tenant_id=second)
    organisation = json_of(nz.get("Organisation"))["Organisations"][0]
    assert (organisation["CountryCode"], organisation["BaseCurrency"]) == ("NZ", "NZD")


def test_a_cancelled_consent_redirects_with_access_denied(xero_sandbox):
    xero_sandbox.set_consent(auto_approve=False)
    answer = requests.post(
        f"{xero_sandbox.base_url}/identity/connect/authorize",
        data={
            "response_type": "code",
            "client_id": xero_sandbox.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": "accounting.contacts",
            "state": "s-2",
            "decision": "cancel",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert parse_qs(urlsplit(answer.headers["Location"]).query) == {
        "error": ["access_denied"],
        "state": ["s-2"],
    }


def test_deleting_a_connection_ends_access_to_that_tenant(xero_sandbox, api):
    headers = {"Authorization": api.session.headers["Authorization"]}
    connection = requests.get(
        f"{xero_sandbox.base_url}/connections", headers=headers, timeout=10
    ).json()[0]
    deleted = requests.delete(
        f"{xero_sandbox.base_url}/connections/{connection['id']}", headers=headers, timeout=10
    )
    assert deleted.status_code == 204
    assert api.get("Contacts").status_code == 403


def test_the_accounting_api_needs_the_tenant_header_a_live_token_and_the_scope(xero_sandbox, api):
    assert api.get("Contacts").status_code == 200
    missing = api.session.get(api.url("Contacts"), headers={"xero-tenant-id": ""}, timeout=10)
    assert (missing.status_code, missing.json()["Detail"]) == (403, "AuthenticationUnsuccessful")
    other = api.session.get(
        api.url("Contacts"),
        headers={"xero-tenant-id": "11111111-1111-1111-1111-111111111111"},
        timeout=10,
    )
    assert other.status_code == 403
    read_only = XeroAPI(
        xero_sandbox, xero_sandbox.issue_tokens(scope="accounting.contacts.read")["access_token"]
    )
    assert read_only.get("Contacts").status_code == 200
    assert read_only.put("Contacts", {"Contacts": [{"Name": "Acme"}]}).status_code == 403
    assert read_only.get("Invoices").status_code == 403
    xero_sandbox.expire_access_tokens()
    expired = api.get("Contacts")
    assert expired.status_code == 401
    assert expired.json()["Detail"].startswith("TokenExpired")
    assert expired.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
