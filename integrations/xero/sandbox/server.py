"""HTTP for the sandbox: on one host, the paths of Xero's login, identity and API services.

`/identity/connect/authorize` (login.xero.com), `/connect/token` and `/connect/revocation`
(identity.xero.com), `/connections` and `/api.xro/2.0/…` (api.xero.com); the OpenID discovery
document and its keys; and the control API under `/_sandbox/`, which needs no token (it is for
tests, demos and benchmarks only).
"""

from __future__ import annotations

import contextlib
import html
import logging
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from . import faults, wire
from .app import Response, Sandbox, SandboxConfig, error_response, json_response, new_correlation_id
from .control_api import handle_control
from .faults import XeroError
from .oauth import AuthorizationRequest, OAuthError, discovery_document

logger = logging.getLogger(__name__)

API_PREFIX = ["api.xro", "2.0"]
DISCOVERY_PATH = "/.well-known/openid-configuration"
# Xero documents 3.5 MB per request on older pages and 10 MB on newer ones; the larger is kept
# so that what Xero takes, the sandbox takes.
MAX_BODY_BYTES = 10 * 1024 * 1024
DRAIN_CHUNK = 64 * 1024


class BadFraming(Exception):
    """The request's body cannot be read as HTTP frames it (answered before any API logic)."""

    def __init__(self, status: int, text: str):
        super().__init__(text)
        self.status = status
        self.text = text


def _html(status: int, page: str) -> Response:
    return Response(status, page.encode(), "text/html; charset=utf-8")


def _redirect(uri: str, params: dict[str, str]) -> Response:
    parts = urlsplit(uri)
    query = urlencode([*parse_qsl(parts.query), *params.items()])
    return Response(302, b"", "text/plain", {"Location": urlunsplit(parts._replace(query=query))})


def _consent_page(sandbox: Sandbox, params: dict) -> Response:
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(params.get(name, ""))}">'
        for name in (
            "client_id",
            "redirect_uri",
            "scope",
            "state",
            "response_type",
            "code_challenge",
            "code_challenge_method",
            "nonce",
        )
    )
    choices = "".join(
        f'<label><input type="checkbox" name="tenant_id" value="{org["OrganisationID"]}"'
        f"{' checked' if org['OrganisationID'] in sandbox.consent_tenants else ''}> "
        f"{html.escape(org['Name'])}</label><br>"
        for org in sandbox.organisations()
    )
    app = html.escape(sandbox.config.app_name)
    return _html(
        200,
        "<!doctype html><html><head><title>Xero (sandbox): allow access</title></head><body>"
        f"<h1>{app} wants access to your organisations</h1>"
        f'<form method="post" action="/identity/connect/authorize">{hidden}{choices}'
        '<button type="submit" name="decision" value="allow">Allow access</button> '
        '<button type="submit" name="decision" value="cancel">Cancel</button>'
        "</form></body></html>",
    )


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "XeroSandbox/1.0"
    # Headers and body leave in one write: split writes meet the client's delayed ACK (40 ms).
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True
    sandbox: Sandbox  # set on the per-server subclass
    observe: Callable | None = None  # set on the per-server subclass

    def log_message(self, format, *args):
        """Quiet: the request log is kept in memory and exposed through the control API."""

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _read_body(self) -> bytes:
        """The body framed by Content-Length or chunked encoding, at most MAX_BODY_BYTES."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        declared = (self.headers.get("Content-Length") or "0").strip()
        if not declared.isdigit():
            raise BadFraming(400, "Bad Request: the Content-Length is not a number.")
        length = int(declared)
        if length > MAX_BODY_BYTES:
            self._drain(length)
            raise BadFraming(413, "Request Entity Too Large")
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        body = bytearray()
        while True:
            size_line = self.rfile.readline(1024).split(b";")[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise BadFraming(400, "Bad Request: a chunk size is not hexadecimal.") from None
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers, up to the blank line
                    pass
                return bytes(body)
            if len(body) + size > MAX_BODY_BYTES:
                raise BadFraming(413, "Request Entity Too Large")
            body += self.rfile.read(size)
            self.rfile.readline(1024)

    def _drain(self, length: int) -> None:
        """Read and drop a body too large to keep, so that the client reads the answer."""
        while length > 0:
            chunk = self.rfile.read(min(length, DRAIN_CHUNK))
            if not chunk:
                return
            length -= len(chunk)

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        try:
            body = self._read_body()
        except BadFraming as refused:
            # A body the front end cannot frame: the connection cannot carry another request.
            self._send(
                Response(
                    refused.status,
                    refused.text.encode(),
                    "text/plain; charset=utf-8",
                    {"Connection": "close"},
                )
            )
            return
        path = parts.path.rstrip("/") or "/"
        if path.startswith("/_sandbox/"):
            self._send(handle_control(self.sandbox, method, path, params, body))
            return
        try:
            response = self._route(method, path, params, body)
        except Exception:
            # Xero answers an unexpected failure with a 500 body; it never drops the socket.
            logger.exception("Sandbox failure on %s %s", method, parts.path)
            response = error_response(faults.unknown_error())
        self.sandbox.log_request(
            {
                "method": method,
                "path": parts.path,
                "query": parts.query,
                "status": None if response.drop else response.status,
                "dropped": response.drop,
                "replayed": response.replayed,
                "faults": response.faults,
                "idempotency_key": self.headers.get("Idempotency-Key"),
                "time": wire.now(),
            }
        )
        if self.observe is not None and not response.drop:
            self.observe(method, parts.path, parts.query, self.headers, body, response)
        if response.drop:
            self._drop()
        else:
            self._send(response)

    def _route(self, method: str, path: str, params: dict, body: bytes) -> Response:
        segments = [segment for segment in path.split("/") if segment]
        if segments[:2] == API_PREFIX:
            return self.sandbox.handle_accounting(method, segments[2:], params, self.headers, body)
        if segments and segments[0].lower() == "connections":
            return self._connections(method, segments[1:], params)
        if path == "/identity/connect/authorize" and method in ("GET", "POST"):
            return self._authorize(method, params, body)
        if path == "/connect/token" and method == "POST":
            return self._token(body)
        if path == "/connect/revocation" and method == "POST":
            return self._revoke(body)
        if path == DISCOVERY_PATH and method == "GET":
            return json_response(200, discovery_document(self.sandbox.base_url))
        if path == f"{DISCOVERY_PATH}/jwks" and method == "GET":
            return json_response(200, self.sandbox.oauth.signer.jwks())
        return error_response(faults.not_found())

    # -- identity --------------------------------------------------------------------------

    def _connections(self, method: str, rest: list[str], params: dict) -> Response:
        oauth = self.sandbox.oauth
        try:
            grant = oauth.authenticate(self.headers.get("Authorization"))
        except XeroError as error:
            return error_response(error)
        if method == "GET" and not rest:
            names = {org["OrganisationID"]: org["Name"] for org in self.sandbox.organisations()}
            return json_response(
                200,
                [
                    {
                        "id": connection_id,
                        "authEventId": auth_event_id,
                        "tenantId": tenant_id,
                        "tenantType": "ORGANISATION",
                        "tenantName": names.get(tenant_id, ""),
                        "createdDateUtc": wire.iso_utc(created_ms),
                        "updatedDateUtc": wire.iso_utc(updated_ms),
                    }
                    for connection_id, tenant_id, auth_event_id, created_ms, updated_ms in (
                        oauth.connections(grant, params.get("authEventId"))
                    )
                ],
            )
        if method == "DELETE" and len(rest) == 1:
            if oauth.disconnect(grant, rest[0].lower()):
                return Response(204, b"", "text/plain")
            return error_response(faults.not_found())
        return error_response(faults.not_found())

    def _authorize(self, method: str, params: dict, body: bytes) -> Response:
        oauth = self.sandbox.oauth
        chosen = None
        if method == "POST":
            pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
            params = dict(pairs)
            chosen = [value for name, value in pairs if name == "tenant_id"]
        try:
            request: AuthorizationRequest = oauth.check_authorization_request(params)
        except OAuthError as error:
            return _html(400, f"<!doctype html><p>{html.escape(error.description)}</p>")
        error = oauth.redirect_error(request, params)
        if error is not None:
            return _redirect(request.redirect_uri, {"error": error, "state": request.state})
        if method == "GET" and not self.sandbox.auto_approve:
            return _consent_page(self.sandbox, params)
        if method == "POST" and params.get("decision") != "allow":
            return _redirect(
                request.redirect_uri, {"error": "access_denied", "state": request.state}
            )
        known = {org["OrganisationID"] for org in self.sandbox.organisations()}
        tenants = [
            t
            for t in (chosen if chosen is not None else self.sandbox.consent_tenants)
            if t in known
        ]
        code = oauth.grant_code(request, tenants)
        return _redirect(request.redirect_uri, {"code": code, "state": request.state})

    def _token(self, body: bytes) -> Response:
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        try:
            tokens = self.sandbox.oauth.token(self.headers.get("Authorization"), form)
        except OAuthError as error:
            return json_response(error.status, error.body())
        return json_response(200, tokens, **{"Cache-Control": "no-store"})

    def _revoke(self, body: bytes) -> Response:
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        try:
            self.sandbox.oauth.revoke(self.headers.get("Authorization"), form)
        except OAuthError as error:
            return json_response(error.status, error.body())
        return Response(200, b"", "text/plain")

    # -- the wire --------------------------------------------------------------------------

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Xero-Correlation-Id", new_correlation_id())
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    def _drop(self) -> None:
        """Close the socket without a byte of answer, as a lost response looks to a client."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self,
        sandbox: Sandbox,
        host: str = "127.0.0.1",
        port: int = 8020,
        observe: Callable | None = None,
    ):
        handler = type(
            "BoundSandboxHandler",
            (SandboxHandler,),
            {"sandbox": sandbox, "observe": staticmethod(observe) if observe else None},
        )
        super().__init__((host, port), handler)
        self.sandbox = sandbox
        sandbox.set_base_url(self.base_url)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


def start_in_thread(
    config: SandboxConfig, host: str = "127.0.0.1", port: int = 0, observe: Callable | None = None
):
    """Start a sandbox on a free port (port=0) in a daemon thread; returns the server.
    `observe(method, path, query, headers, body, response)` sees every answer it sends."""
    server = SandboxServer(Sandbox(config), host, port, observe)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="xero-sandbox",
        daemon=True,
    )
    thread.start()
    return server
