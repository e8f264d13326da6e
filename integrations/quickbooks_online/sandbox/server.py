"""HTTP for the sandbox: routing to OAuth, the company API and the control API.

Company API paths are /v3/company/{realmId}/...; OAuth paths mirror Intuit's; the control API
lives under /_sandbox/ and needs no token (it is for tests, demos and benchmarks only).
"""

from __future__ import annotations

import contextlib
import html
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from . import wire
from .app import QBO_VERSION, Response, Sandbox, SandboxConfig, json_response, new_tid
from .control_api import handle_control
from .oauth import AuthenticationFailure, AuthorizationRequest, OAuthError, discovery_document

DISCOVERY_PATHS = (
    "/.well-known/openid_configuration",
    "/.well-known/openid_sandbox_configuration",
)


def _html(status: int, page: str) -> Response:
    return Response(status, page.encode(), "text/html; charset=utf-8")


def _redirect(uri: str, params: dict[str, str]) -> Response:
    parts = urlsplit(uri)
    query = urlencode([*parse_qsl(parts.query), *params.items()])
    return Response(302, b"", "text/plain", {"Location": urlunsplit(parts._replace(query=query))})


def _consent_page(sandbox: Sandbox, request: AuthorizationRequest, params: dict) -> Response:
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(params.get(name, ""))}">'
        for name in ("client_id", "redirect_uri", "scope", "state", "response_type")
    )
    company = html.escape(sandbox.config.company_name)
    return _html(
        200,
        "<!doctype html><html><head><title>Connect to QuickBooks (sandbox)</title></head><body>"
        f"<h1>Connect your app to {company}</h1>"
        "<p>The app asks to read and write your accounting data.</p>"
        f'<form method="post" action="/connect/oauth2">{hidden}'
        f'<input type="hidden" name="realm_id" value="{html.escape(sandbox.config.realm_id)}">'
        '<button type="submit" name="decision" value="connect">Connect</button> '
        '<button type="submit" name="decision" value="cancel">Cancel</button>'
        "</form></body></html>",
    )


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "QBOSandbox/1.0"
    # Headers and body leave in one write: split writes meet the client's delayed ACK (40 ms).
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True
    sandbox: Sandbox  # set on the per-server subclass

    def log_message(self, format, *args):
        """Quiet: the request log is kept in memory and exposed through the control API."""

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    @property
    def base_url(self) -> str:
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        return f"http://{host}"

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        body = self._read_body()
        path = parts.path.rstrip("/") or "/"
        if path.startswith("/_sandbox/"):
            self._send(handle_control(self.sandbox, method, path, params, body))
            return
        started = wire.now()
        response = self._route(method, path, params, body)
        self.sandbox.log_request(
            {
                "method": method,
                "path": parts.path,
                "query": parts.query,
                "status": None if response.drop else response.status,
                "dropped": response.drop,
                "replayed": response.replayed,
                "faults": response.faults,
                "items": response.items,
                "started": started,
                "time": wire.now(),
            }
        )
        if response.drop:
            self._drop()
        else:
            self._send(response)

    def _route(self, method: str, path: str, params: dict, body: bytes) -> Response:
        segments = [segment for segment in path.split("/") if segment]
        if segments[:2] == ["v3", "company"] and len(segments) >= 4:
            return self._company_api(method, segments[2], segments[3:], params, body)
        if path in DISCOVERY_PATHS and method == "GET":
            return json_response(200, discovery_document(self.base_url))
        if path == "/connect/oauth2":
            return self._authorize(method, params, body)
        if path == "/oauth2/v1/tokens/bearer" and method == "POST":
            return self._token(body)
        if path == "/v2/oauth2/tokens/revoke" and method == "POST":
            return self._revoke(body)
        if path == "/v1/openid_connect/userinfo" and method == "GET":
            return self._userinfo()
        if path == "/op/v1/jwks" and method == "GET":
            return json_response(200, {"keys": []})
        return json_response(404, {"error": "not_found", "path": path})

    def _company_api(self, method, realm_id, segments, params, body) -> Response:
        try:
            self.sandbox.oauth.authenticate(self.headers.get("Authorization"), realm_id)
        except AuthenticationFailure as failure:
            headers = {}
            if failure.status == 401:
                headers["WWW-Authenticate"] = 'Bearer realm="Intuit", error="invalid_token"'
            return Response(failure.status, wire.dumps_bytes(failure.body), headers=headers)
        return self.sandbox.handle_api(method, realm_id, segments, params, body)

    def _authorize(self, method: str, params: dict, body: bytes) -> Response:
        oauth = self.sandbox.oauth
        if method == "POST":
            params = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        try:
            request = oauth.check_authorization_request(params)
        except OAuthError as error:
            return _html(400, f"<!doctype html><p>{html.escape(error.description)}</p>")
        error = oauth.redirect_error(request, params)
        if error is not None:
            return _redirect(request.redirect_uri, {"error": error, "state": request.state})
        if method == "GET" and not self.sandbox.auto_approve:
            return _consent_page(self.sandbox, request, params)
        if method == "POST" and params.get("decision") != "connect":
            return _redirect(
                request.redirect_uri, {"error": "access_denied", "state": request.state}
            )
        realm_id = params.get("realm_id") or self.sandbox.config.realm_id
        if not self.sandbox.service.company_exists(realm_id):
            realm_id = self.sandbox.config.realm_id
        code = oauth.grant_code(request, realm_id)
        return _redirect(
            request.redirect_uri, {"code": code, "state": request.state, "realmId": realm_id}
        )

    def _token(self, body: bytes) -> Response:
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        try:
            tokens = self.sandbox.oauth.token(self.headers.get("Authorization"), form)
        except OAuthError as error:
            return json_response(error.status, error.body())
        return json_response(200, tokens, **{"Cache-Control": "no-store"})

    def _revoke(self, body: bytes) -> Response:
        try:
            payload = wire.loads(body) if body.strip() else {}
        except ValueError:
            payload = dict(parse_qsl(body.decode("utf-8", "replace")))
        try:
            self.sandbox.oauth.revoke(self.headers.get("Authorization"), payload.get("token"))
        except OAuthError as error:
            return json_response(error.status, error.body())
        return Response(200, b"", "text/plain")

    def _userinfo(self) -> Response:
        try:
            realm_id = self.sandbox.oauth.authenticate(self.headers.get("Authorization"), None)
        except AuthenticationFailure as failure:
            return Response(failure.status, wire.dumps_bytes(failure.body))
        return json_response(
            200,
            {
                "sub": f"sandbox-user-{realm_id}",
                "email": "accountant@sandbox.example",
                "emailVerified": True,
                "givenName": "Sandbox",
                "familyName": "Accountant",
            },
        )

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("intuit_tid", new_tid())
        self.send_header("QBO-Version", QBO_VERSION)
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

    def __init__(self, sandbox: Sandbox, host: str = "127.0.0.1", port: int = 8010):
        handler = type("BoundSandboxHandler", (SandboxHandler,), {"sandbox": sandbox})
        super().__init__((host, port), handler)
        self.sandbox = sandbox

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


def start_in_thread(config: SandboxConfig, host: str = "127.0.0.1", port: int = 0):
    """Start a sandbox on a free port (port=0) in a daemon thread; returns the server."""
    server = SandboxServer(Sandbox(config), host, port)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="qbo-sandbox", daemon=True
    )
    thread.start()
    return server
