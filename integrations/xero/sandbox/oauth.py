"""Xero's identity service: the authorization code flow (PKCE supported), 30-minute access
tokens, rotating refresh tokens, revocation, and the connections a grant gives to tenants.

Tokens are RS256 JWTs like Xero's (the access token carries `authentication_event_id`, which
`GET /connections?authEventId=` filters on), signed with a key made when the sandbox starts and
published at the discovery document's `jwks_uri`. A refresh token is issued only with the
`offline_access` scope; each refresh returns a new one, and the one just used keeps working for
30 minutes in case its answer was lost. Revoking a refresh token ends the grant and removes the
user's connections to the app.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from . import faults, wire
from .storage import Store

ACCESS_TOKEN_SECONDS = 1800
REFRESH_TOKEN_SECONDS = 60 * 24 * 3600
REFRESH_GRACE_SECONDS = 1800
CODE_SECONDS = 300
ACCOUNTING_SCOPES = (
    "accounting.transactions",
    "accounting.transactions.read",
    "accounting.contacts",
    "accounting.contacts.read",
    "accounting.settings",
    "accounting.settings.read",
    "accounting.attachments",
    "accounting.attachments.read",
    "accounting.reports.read",
    "accounting.journals.read",
    "accounting.budgets.read",
    "accounting.invoices",
    "accounting.invoices.read",
    "accounting.payments",
    "accounting.payments.read",
    "accounting.banktransactions",
    "accounting.banktransactions.read",
    "accounting.manualjournals",
    "accounting.manualjournals.read",
)
KNOWN_SCOPES = (*ACCOUNTING_SCOPES, "openid", "profile", "email", "offline_access")
SANDBOX_USER_ID = "2f8a3a5e-1c1d-4a5b-9f50-8d4c1a7e6b21"
# Xero's PKCE page: "a random string between 43 and 128 characters long that consists of the
# characters A-Z, a-z, 0-9, and the punctuation -._~".
CODE_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


class OAuthError(Exception):
    """An error of the token or revocation endpoint: `{"error": …}` with its HTTP status."""

    def __init__(self, status: int, error: str, description: str = ""):
        super().__init__(error)
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


@dataclass(frozen=True)
class AuthorizationRequest:
    client_id: str
    redirect_uri: str
    scope: str
    state: str
    code_challenge: str
    code_challenge_method: str
    nonce: str


@dataclass(frozen=True)
class Grant:
    """What a valid access token allows: its app, scopes and grant."""

    grant_id: str
    client_id: str
    scopes: frozenset[str]
    auth_event_id: str


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Signer:
    """RS256 JWTs with a key pair of this process; its public half is the JWKS."""

    def __init__(self):
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = uuid.uuid4().hex

    def sign(self, claims: dict) -> str:
        header = {"alg": "RS256", "kid": self.key_id, "typ": "JWT"}
        signing_input = (
            f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        )
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"

    def jwks(self) -> dict:
        numbers = self._key.public_key().public_numbers()

        def encode(number: int) -> str:
            return _b64url(number.to_bytes((number.bit_length() + 7) // 8, "big"))

        return {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "alg": "RS256",
                    "kid": self.key_id,
                    "e": encode(numbers.e),
                    "n": encode(numbers.n),
                }
            ]
        }


def discovery_document(base_url: str) -> dict:
    return {
        "issuer": base_url,
        "authorization_endpoint": f"{base_url}/identity/connect/authorize",
        "token_endpoint": f"{base_url}/connect/token",
        "revocation_endpoint": f"{base_url}/connect/revocation",
        "jwks_uri": f"{base_url}/.well-known/openid-configuration/jwks",
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": list(KNOWN_SCOPES),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["plain", "S256"],
    }


class OAuthServer:
    def __init__(
        self,
        store: Store,
        *,
        client_id: str,
        client_secret: str,
        redirect_uris: tuple[str, ...] = (),
        issuer: str = "",
    ):
        self.store = store
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = redirect_uris  # none registered: any http(s) URI is taken
        self.issuer = issuer
        self.signer = Signer()

    # -- authorize -------------------------------------------------------------------------

    def check_authorization_request(self, params: dict[str, str]) -> AuthorizationRequest:
        """Problems that must not redirect (unknown client, bad redirect_uri) raise OAuthError;
        the caller redirects the others back with `error=`."""
        if params.get("client_id") != self.client_id:
            raise OAuthError(400, "unauthorized_client", "Unknown client or client not enabled")
        redirect_uri = params.get("redirect_uri", "")
        parts = urlsplit(redirect_uri)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
            raise OAuthError(400, "invalid_request", "Invalid redirect_uri")
        if self.redirect_uris and redirect_uri not in self.redirect_uris:
            # Xero sends the user nowhere it was not told of: an error page, no redirect.
            raise OAuthError(400, "invalid_request", "Invalid redirect_uri")
        return AuthorizationRequest(
            client_id=self.client_id,
            redirect_uri=redirect_uri,
            scope=params.get("scope", ""),
            state=params.get("state", ""),
            code_challenge=params.get("code_challenge", ""),
            code_challenge_method=params.get("code_challenge_method", "plain"),
            nonce=params.get("nonce", ""),
        )

    @staticmethod
    def redirect_error(request: AuthorizationRequest, params: dict[str, str]) -> str | None:
        if params.get("response_type") != "code":
            return "unsupported_response_type"
        scopes = request.scope.split()
        if not scopes or any(scope not in KNOWN_SCOPES for scope in scopes):
            return "invalid_scope"
        if request.code_challenge and request.code_challenge_method not in ("plain", "S256"):
            return "invalid_request"
        return None

    def grant_code(self, request: AuthorizationRequest, tenant_ids: list[str]) -> str:
        code = secrets.token_urlsafe(32)
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO auth_code (code, client_id, redirect_uri, scope, tenant_ids, "
                "code_challenge, code_challenge_method, nonce, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    code,
                    request.client_id,
                    request.redirect_uri,
                    request.scope,
                    json.dumps(tenant_ids),
                    request.code_challenge,
                    request.code_challenge_method,
                    request.nonce,
                    wire.now() + CODE_SECONDS,
                ),
            )
        return code

    # -- token endpoint --------------------------------------------------------------------

    def _authenticate_client(self, authorization: str | None, form: dict[str, str]) -> bool:
        """True for a confidential client (secret by Basic or in the form), False for a public
        PKCE client naming only its client_id; OAuthError otherwise."""
        if authorization and authorization.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise OAuthError(400, "invalid_client") from None
            client_id, _, secret = decoded.partition(":")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret")
        if not secrets.compare_digest(client_id, self.client_id):
            raise OAuthError(400, "invalid_client")
        if secret is None:
            return False
        if not secrets.compare_digest(secret, self.client_secret):
            raise OAuthError(400, "invalid_client")
        return True

    def token(self, authorization: str | None, form: dict[str, str]) -> dict:
        confidential = self._authenticate_client(authorization, form)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange_code(form, confidential)
        if grant_type == "refresh_token":
            return self._refresh(form)
        if not grant_type:
            raise OAuthError(400, "invalid_request", "grant_type is required")
        raise OAuthError(400, "unsupported_grant_type")

    def _exchange_code(self, form: dict[str, str], confidential: bool) -> dict:
        code = form.get("code")
        if not code or not form.get("redirect_uri"):
            raise OAuthError(400, "invalid_request", "code and redirect_uri are required")
        with self.store.transaction() as conn:
            found = conn.execute(
                "SELECT redirect_uri, scope, tenant_ids, code_challenge, code_challenge_method, "
                "nonce, expires_at, used FROM auth_code WHERE code = ?",
                (code,),
            ).fetchone()
            if found is None:
                raise OAuthError(400, "invalid_grant")
            redirect_uri, scope, tenant_ids, challenge, method, nonce, expires_at, used = found
            if used or expires_at < wire.now() or redirect_uri != form["redirect_uri"]:
                raise OAuthError(400, "invalid_grant")
            if challenge:
                verifier = form.get("code_verifier", "")
                computed = (
                    _b64url(hashlib.sha256(verifier.encode()).digest())
                    if method == "S256"
                    else verifier
                )
                if not CODE_VERIFIER.match(verifier) or not secrets.compare_digest(
                    computed, challenge
                ):
                    raise OAuthError(400, "invalid_grant", "Invalid code_verifier")
            elif not confidential:
                raise OAuthError(400, "invalid_client")
            conn.execute("UPDATE auth_code SET used = 1 WHERE code = ?", (code,))
            grant_id, auth_event_id = str(uuid.uuid4()), str(uuid.uuid4())
            conn.execute(
                "INSERT INTO grant_ (id, client_id, scope, auth_event_id) VALUES (?, ?, ?, ?)",
                (grant_id, self.client_id, scope, auth_event_id),
            )
            self._connect(conn, json.loads(tenant_ids), auth_event_id)
            return self._issue(conn, grant_id, scope, auth_event_id, nonce=nonce)

    def _connect(self, conn, tenant_ids: list[str], auth_event_id: str) -> None:
        """Each tenant the user chose is connected to the app (again, when it already was)."""
        stamp = wire.now_ms()
        for tenant_id in tenant_ids:
            conn.execute(
                "INSERT INTO connection (id, client_id, tenant_id, auth_event_id, created_ms, "
                "updated_ms) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (client_id, tenant_id) "
                "DO UPDATE SET auth_event_id = excluded.auth_event_id, "
                "updated_ms = excluded.updated_ms",
                (str(uuid.uuid4()), self.client_id, tenant_id, auth_event_id, stamp, stamp),
            )

    def _refresh(self, form: dict[str, str]) -> dict:
        token = form.get("refresh_token")
        if not token:
            raise OAuthError(400, "invalid_request", "refresh_token is required")
        now = wire.now()
        with self.store.transaction() as conn:
            found = conn.execute(
                "SELECT r.grant_id, r.expires_at, r.first_used_at, g.scope, g.auth_event_id, "
                "g.revoked FROM refresh_token r JOIN grant_ g ON g.id = r.grant_id "
                "WHERE r.token = ?",
                (token,),
            ).fetchone()
            if found is None:
                raise OAuthError(400, "invalid_grant")
            grant_id, expires_at, first_used_at, scope, auth_event_id, revoked = found
            used_up = first_used_at is not None and first_used_at + REFRESH_GRACE_SECONDS < now
            if revoked or used_up or expires_at < now:
                raise OAuthError(400, "invalid_grant")
            if first_used_at is None:
                conn.execute(
                    "UPDATE refresh_token SET first_used_at = ? WHERE token = ?", (now, token)
                )
            return self._issue(conn, grant_id, scope, auth_event_id)

    def _issue(
        self,
        conn,
        grant_id: str,
        scope: str,
        auth_event_id: str,
        *,
        nonce: str = "",
        access_seconds: float = ACCESS_TOKEN_SECONDS,
    ) -> dict:
        now = wire.now()
        expires_at = now + access_seconds
        access = self.signer.sign(
            {
                "iss": self.issuer,
                "aud": f"{self.issuer}/resources",
                "nbf": int(now),
                "exp": int(expires_at),
                "iat": int(now),
                "client_id": self.client_id,
                "sub": SANDBOX_USER_ID,
                "auth_time": int(now),
                "xero_userid": SANDBOX_USER_ID,
                "global_session_id": grant_id,
                "jti": uuid.uuid4().hex,
                "authentication_event_id": auth_event_id,
                "scope": scope.split(),
            }
        )
        conn.execute(
            "INSERT INTO access_token (token, grant_id, expires_at) VALUES (?, ?, ?)",
            (access, grant_id, expires_at),
        )
        answer = {"access_token": access, "expires_in": int(access_seconds), "token_type": "Bearer"}
        scopes = scope.split()
        if "offline_access" in scopes:
            refresh = secrets.token_urlsafe(48)
            conn.execute(
                "INSERT INTO refresh_token (token, grant_id, expires_at) VALUES (?, ?, ?)",
                (refresh, grant_id, now + REFRESH_TOKEN_SECONDS),
            )
            answer["refresh_token"] = refresh
        if "openid" in scopes:
            claims = {
                "iss": self.issuer,
                "aud": self.client_id,
                "exp": int(expires_at),
                "iat": int(now),
                "sub": SANDBOX_USER_ID,
                "xero_userid": SANDBOX_USER_ID,
                "global_session_id": grant_id,
                "email": "accountant@sandbox.example",
                "given_name": "Sandbox",
                "family_name": "Accountant",
            }
            if nonce:
                claims["nonce"] = nonce
            answer["id_token"] = self.signer.sign(claims)
        answer["scope"] = scope
        return answer

    def issue_directly(
        self, tenant_ids: list[str], scope: str, access_seconds: float = ACCESS_TOKEN_SECONDS
    ) -> dict:
        """Tokens for tests and demos, as if the consent flow had connected these tenants."""
        with self.store.transaction() as conn:
            grant_id, auth_event_id = str(uuid.uuid4()), str(uuid.uuid4())
            conn.execute(
                "INSERT INTO grant_ (id, client_id, scope, auth_event_id) VALUES (?, ?, ?, ?)",
                (grant_id, self.client_id, scope, auth_event_id),
            )
            self._connect(conn, tenant_ids, auth_event_id)
            return self._issue(conn, grant_id, scope, auth_event_id, access_seconds=access_seconds)

    def revoke(self, authorization: str | None, form: dict[str, str]) -> None:
        """Revoking a refresh token ends its grant (its tokens stop working) and, in the words of
        Xero's SDK, "removes all their connections to your app": every tenant the sandbox's one
        user connected, whichever consent connected it. An unknown token is accepted silently
        (RFC 7009). A PKCE app has no secret, so it revokes naming its client_id alone."""
        self._authenticate_client(authorization, form)
        token = form.get("token")
        if not token:
            raise OAuthError(400, "invalid_request", "token is required")
        with self.store.transaction() as conn:
            found = conn.execute(
                "SELECT grant_id FROM refresh_token WHERE token = ?", (token,)
            ).fetchone()
            if found is None:
                return
            conn.execute("UPDATE grant_ SET revoked = 1 WHERE id = ?", found)
            conn.execute("DELETE FROM connection WHERE client_id = ?", (self.client_id,))

    def expire_access_tokens(self) -> None:
        with self.store.transaction() as conn:
            conn.execute("UPDATE access_token SET expires_at = ?", (wire.now() - 1,))

    def revoke_all(self) -> None:
        """What a user disconnecting the app in Xero does: every grant ends, every connection."""
        with self.store.transaction() as conn:
            conn.execute("UPDATE grant_ SET revoked = 1")
            conn.execute("DELETE FROM connection")

    # -- bearer tokens ---------------------------------------------------------------------

    def authenticate(self, authorization: str | None) -> Grant:
        """The grant a bearer token stands for; XeroError 401 when there is none."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise faults.unauthorized()
        token = authorization[7:].strip()
        with self.store.transaction() as conn:
            found = conn.execute(
                "SELECT a.expires_at, g.id, g.client_id, g.scope, g.auth_event_id, g.revoked "
                "FROM access_token a JOIN grant_ g ON g.id = a.grant_id WHERE a.token = ?",
                (token,),
            ).fetchone()
        if found is None:
            raise faults.unauthorized()
        expires_at, grant_id, client_id, scope, auth_event_id, revoked = found
        if revoked:
            raise faults.unauthorized()
        if expires_at < wire.now():
            raise faults.unauthorized(f"TokenExpired: token expired at {_expiry(expires_at)}")
        return Grant(grant_id, client_id, frozenset(scope.split()), auth_event_id)

    # -- connections -----------------------------------------------------------------------

    def connections(self, grant: Grant, auth_event_id: str | None) -> list[tuple]:
        """(id, tenant_id, auth_event_id, created_ms, updated_ms) of the app's connections."""
        sql = (
            "SELECT id, tenant_id, auth_event_id, created_ms, updated_ms FROM connection "
            "WHERE client_id = ?"
        )
        args: list = [grant.client_id]
        if auth_event_id:
            sql += " AND auth_event_id = ?"
            args.append(auth_event_id)
        with self.store.transaction() as conn:
            return conn.execute(sql + " ORDER BY created_ms, id", args).fetchall()

    def is_connected(self, grant: Grant, tenant_id: str) -> bool:
        with self.store.transaction() as conn:
            found = conn.execute(
                "SELECT 1 FROM connection WHERE client_id = ? AND tenant_id = ?",
                (grant.client_id, tenant_id),
            ).fetchone()
        return found is not None

    def disconnect(self, grant: Grant, connection_id: str) -> bool:
        with self.store.transaction() as conn:
            deleted = conn.execute(
                "DELETE FROM connection WHERE client_id = ? AND id = ?",
                (grant.client_id, connection_id),
            )
            return deleted.rowcount == 1


def _expiry(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%m/%d/%Y %H:%M:%S")
