"""The control API's HTTP server, and the sandbox put together for the command and the tests."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .books import Books
from .company import CompanyFile
from .control_api import ControlError, QuickBooksDesktopSandbox
from .web_connector import ConnectorSettings, WebConnector

MAX_BODY = 5_000_000


def build(settings: ConnectorSettings, data_file: str, company: CompanyFile | None = None):
    books = Books(data_file)
    company = company or CompanyFile()
    return QuickBooksDesktopSandbox(books, company, WebConnector(settings, books, company))


class _Handler(BaseHTTPRequestHandler):
    server_version = "QuickBooksDesktopSandbox/1"

    def log_message(self, format, *args):  # the runs are in /_sandbox/runs, not on stderr
        return

    def _serve(self, method: str) -> None:
        sandbox: QuickBooksDesktopSandbox = self.server.sandbox
        path = self.path.split("?", 1)[0]
        try:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                raise ControlError(413, "The body is too large.")
            body = self.rfile.read(length) if length else b""
            if not path.startswith("/_sandbox/"):
                raise ControlError(404, "Only the control API (/_sandbox/...) is served here.")
            status, answer = 200, sandbox.handle(method, path, body)
        except ControlError as error:
            status, answer = error.status, {"error": error.message}
        except Exception as error:  # the control API answers every call, even a failing one
            status, answer = 500, {"error": f"{type(error).__name__}: {error}"}
        data = json.dumps(answer, default=str).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_DELETE(self):
        self._serve("DELETE")


class ControlServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, sandbox: QuickBooksDesktopSandbox, host: str, port: int):
        super().__init__((host, port), _Handler)
        self.sandbox = sandbox

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


def start_in_thread(sandbox: QuickBooksDesktopSandbox, host="127.0.0.1", port=0) -> ControlServer:
    server = ControlServer(sandbox, host, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
