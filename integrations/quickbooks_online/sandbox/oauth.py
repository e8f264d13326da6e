"""OAuth 2.0 like Intuit's: authorization codes, bearer tokens, rolling refresh tokens, revoke.

Refresh tokens rotate on every use (the newest must be kept); an older one keeps working only
until a newer one of the same grant has been used, which covers a lost refresh response.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import faults, wire
from .storage import Store

ACCESS_TOKEN_SECONDS = 3600
REFRESH_TOKEN_SECONDS = 8726400
CODE_SECONDS = 600
ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
KNOWN_SCOPES = (
    ACCOUNTING_SCOPE,
    "com.intuit.quickbooks.payment",
    "openid",
    "profile",
    "email",
    "phone",
    "address",
)


class OAuthError(Exception):
    """An error of the token or revoke endpoint: `{"error": ...}` with its HTTP status."""

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


class AuthenticationFailure(Exception):
    """A company API call without a usable bearer token (401) or for another realm (403)."""

    def __init__(self, status: int, body: dict):
        super().__init__(status)
        self.status = status
        self.body = body


@dataclass(frozen=True)
class AuthorizationRequest:
    client_id: str
    redirect_uri: str
    scope: str
    state: str


def discovery_document(base_url: str) -> dict:
    return {
        "issuer": f"{base_url}/op/v1",
        "authorization_endpoint": f"{base_url}/connect/oauth2",
        "token_endpoint": f"{base_url}/oauth2/v1/tokens/bearer",
        "userinfo_endpoint": f"{base_url}/v1/openid_connect/userinfo",
        "revocation_endpoint": f"{base_url}/v2/oauth2/tokens/revoke",
        "jwks_uri": f"{base_url}/op/v1/jwks",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile", "address", "phone"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
    }


def _token(prefix: str) -> str:
    return f"{prefix}{secrets.token_urlsafe(48)}"


class OAuthServer:
    def __init__(
        self,
        store: Store,
        *,
        client_id: str,
        client_secret: str,
        redirect_uris: tuple[str, ...] = (),
    ):
        self.store = store
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = redirect_uris

    # -- authorize -------------------------------------------------------------------------

    def check_authorization_request(self, params: dict[str, str]) -> AuthorizationRequest:
        """Problems that must not redirect (unknown client, bad redirect_uri) raise OAuthError;
        the caller redirects the others back with `error=`."""
        if params.get("client_id") != self.client_id:
            raise OAuthError(400, "invalid_client", "The client_id is not a registered app.")
        redirect_uri = params.get("redirect_uri", "")
        parts = urlsplit(redirect_uri)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
            raise OAuthError(400, "invalid_request", "The redirect_uri is not a valid URL.")
        if self.redirect_uris and redirect_uri not in self.redirect_uris:
            raise OAuthError(400, "invalid_request", "The redirect_uri is not registered.")
        return AuthorizationRequest(
            self.client_id, redirect_uri, params.get("scope", ""), params.get("state", "")
        )

    @staticmethod
    def redirect_error(request: AuthorizationRequest, params: dict[str, str]) -> str | None:
        if params.get("response_type") != "code":
            return "unsupported_response_type"
        scopes = request.scope.split()
        if ACCOUNTING_SCOPE not in scopes or any(s not in KNOWN_SCOPES for s in scopes):
            return "invalid_scope"
        return None

    def grant_code(self, request: AuthorizationRequest, realm_id: str) -> str:
        code = _token("AB11")
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO auth_code (code, client_id, redirect_uri, realm_id, scope, "
                "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    code,
                    request.client_id,
                    request.redirect_uri,
                    realm_id,
                    request.scope,
                    wire.now() + CODE_SECONDS,
                ),
            )
        return code

    # -- token endpoint --------------------------------------------------------------------

    def _authenticate_client(self, authorization: str | None) -> None:
        if not authorization or not authorization.lower().startswith("basic "):
            raise OAuthError(401, "invalid_client")
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError(401, "invalid_client") from None
        client_id, _, secret = decoded.partition(":")
        if not (
            secrets.compare_digest(client_id, self.client_id)
            and secrets.compare_digest(secret, self.client_secret)
        ):
            raise OAuthError(401, "invalid_client")

    def token(self, authorization: str | None, form: dict[str, str]) -> dict:
        self._authenticate_client(authorization)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange_code(form)
        if grant_type == "refresh_token":
            return self._refresh(form)
        if not grant_type:
            raise OAuthError(400, "invalid_request", "grant_type is required.")
        raise OAuthError(400, "unsupported_grant_type")

    def _exchange_code(self, form: dict[str, str]) -> dict:
        code = form.get("code")
        if not code or not form.get("redirect_uri"):
            raise OAuthError(400, "invalid_request", "code and redirect_uri are required.")
        with self.store.transaction() as conn:
            found = conn.execute(
                "SELECT client_id, redirect_uri, realm_id, scope, expires_at, used "
                "FROM auth_code WHERE code = ?",
                (code,),
            ).fetchone()
            if found is None:
                raise OAuthError(400, "invalid_grant")
            _client_id, redirect_uri, realm_id, scope, expires_at, used = found
            if used or expires_at < wire.now() or redirect_uri != form["redirect_uri"]:
                raise OAuthError(400, "invalid_grant")
            conn.execute("UPDATE auth_code SET used = 1 WHERE code = ?", (code,))
            return self._issue(conn, realm_id, scope, secrets.token_hex(8), 0)

    def _refresh(self, form: dict[str, str]) -> dict:
        token = form.get("refresh_token")
        if not token:
            raise OAuthError(400, "invalid_request", "refresh_token is required.")
        with self.store.transaction() as conn:
            found = conn.execute(
                "SELECT realm_id, scope, family, generation, expires_at, revoked "
                "FROM refresh_token WHERE token = ?",
                (token,),
            ).fetchone()
            if found is None:
                raise OAuthError(400, "invalid_grant")
            realm_id, scope, family, generation, expires_at, revoked = found
            (superseded,) = conn.execute(
                "SELECT COUNT(*) FROM refresh_token WHERE family = ? AND generation > ? AND used = 1",
                (family, generation),
            ).fetchone()
            if revoked or superseded or expires_at < wire.now():
                raise OAuthError(400, "invalid_grant")
            conn.execute("UPDATE refresh_token SET used = 1 WHERE token = ?", (token,))
            (newest,) = conn.execute(
                "SELECT MAX(generation) FROM refresh_token WHERE family = ?", (family,)
            ).fetchone()
            return self._issue(conn, realm_id, scope, family, newest + 1)

    def _issue(
        self,
        conn,
        realm_id: str,
        scope: str,
        family: str,
        generation: int,
        access_seconds: float = ACCESS_TOKEN_SECONDS,
    ) -> dict:
        now = wire.now()
        access, refresh = _token("eyJ"), _token("AB11")
        conn.execute(
            "INSERT INTO access_token (token, client_id, realm_id, scope, family, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (access, self.client_id, realm_id, scope, family, now + access_seconds),
        )
        conn.execute(
            "INSERT INTO refresh_token (token, client_id, realm_id, scope, family, generation, "
            "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                refresh,
                self.client_id,
                realm_id,
                scope,
                family,
                generation,
                now + REFRESH_TOKEN_SECONDS,
            ),
        )
        return {
            "token_type": "bearer",
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": int(access_seconds),
            "x_refresh_token_expires_in": REFRESH_TOKEN_SECONDS,
        }

    def issue_directly(self, realm_id: str, access_seconds: float = ACCESS_TOKEN_SECONDS) -> dict:
        """Tokens for tests and demos, as if the consent flow had just completed."""
        with self.store.transaction() as conn:
            return self._issue(
                conn, realm_id, ACCOUNTING_SCOPE, secrets.token_hex(8), 0, access_seconds
            )

    def revoke(self, authorization: str | None, token: str | None) -> None:
        """Revoking either token of a grant ends the whole grant, as Intuit's endpoint does."""
        self._authenticate_client(authorization)
        if not token:
            raise OAuthError(400, "invalid_request", "token is required.")
        with self.store.transaction() as conn:
            for table in ("refresh_token", "access_token"):
                found = conn.execute(
                    f"SELECT family FROM {table} WHERE token = ?",  # noqa: S608 - fixed tables
                    (token,),
                ).fetchone()
                if found is not None:
                    conn.execute("UPDATE refresh_token SET revoked = 1 WHERE family = ?", found)
                    conn.execute("UPDATE access_token SET revoked = 1 WHERE family = ?", found)
                    return

    def expire_access_tokens(self) -> None:
        with self.store.transaction() as conn:
            conn.execute("UPDATE access_token SET expires_at = ?", (wire.now() - 1,))

    def revoke_refresh_tokens(self) -> None:
        with self.store.transaction() as conn:
            conn.execute("UPDATE refresh_token SET revoked = 1")

    # -- bearer tokens ---------------------------------------------------------------------

    def authenticate(self, authorization: str | None, realm_id: str | None) -> str:
        """The realm a bearer token grants, checked against the realm in the path."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise AuthenticationFailure(
                401, faults.authentication_failed("Malformed bearer token: too short or too long")
            )
        token = authorization[7:].strip()
        with self.store.transaction() as conn:
            found = conn.execute(
                "SELECT realm_id, scope, expires_at, revoked FROM access_token WHERE token = ?",
                (token,),
            ).fetchone()
        if found is None:
            raise AuthenticationFailure(401, faults.authentication_failed("Token invalid"))
        token_realm, scope, expires_at, revoked = found
        if revoked:
            raise AuthenticationFailure(401, faults.authentication_failed("Token revoked"))
        if expires_at < wire.now():
            raise AuthenticationFailure(401, faults.authentication_failed("Token expired"))
        if realm_id is not None and (
            token_realm != realm_id or ACCOUNTING_SCOPE not in scope.split()
        ):
            raise AuthenticationFailure(
                403,
                faults.authorization_failed(f"This token is not authorized for company {realm_id}"),
            )
        return token_realm
