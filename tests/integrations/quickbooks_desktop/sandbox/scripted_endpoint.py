"""A small scripted Web Connector endpoint (SOAP 1.1 over a real socket) for driving the local
QuickBooks Desktop's Web Connector: it hands out the qbXML a test gives it and records every
call, raw body included, so tests can check what a real endpoint would have received."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

from lxml import etree

from integrations.quickbooks_desktop.sandbox import rules

NS = "http://developer.intuit.com/"
RETS = (
    "CustomerRet",
    "VendorRet",
    "ItemServiceRet",
    "ItemOtherChargeRet",
    "AccountRet",
    "PurchaseOrderRet",
    "BillRet",
    "HostRet",
    "CompanyRet",
)
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


@dataclass
class Script:
    username: str = "qbwc-sandbox"
    password: str = "sandbox-password"
    company_file: str = ""  # what authenticate says to open ("" = the open one)
    # Each step is a qbXML string, or a function of the previous answer (parsed) giving one.
    steps: list = field(default_factory=list)
    busy: bool = False
    client_version_advice: str = ""
    noops_before_first_request: int = 0
    connection_error_reply: str = "done"
    authenticate_extra: list = field(default_factory=list)  # postpone, minimum run interval


class ScriptedEndpoint(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script = Script()
        self.calls: list[dict] = []
        self.answers: list[etree._Element | None] = []
        self.raw_requests: list[tuple[str, bytes, str]] = []  # operation, body, SOAPAction
        self._position = 0
        self._last_error = ""
        self._noops = 0
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/qbwc/"

    def load(self, script: Script) -> None:
        with self._lock:
            self.script = script
            self.calls, self.answers, self.raw_requests = [], [], []
            self._position, self._last_error, self._noops = 0, "", 0

    def operations(self) -> list[str]:
        return [call["operation"] for call in self.calls]

    def call(self, operation: str) -> dict:
        return next(call for call in self.calls if call["operation"] == operation)

    # The operations ---------------------------------------------------------------------------

    def answer(self, operation: str, arguments: dict):
        script = self.script
        if operation in ("serverVersion", "clientVersion"):
            return script.client_version_advice if operation == "clientVersion" else "scripted 1.0"
        if operation == "authenticate":
            if (arguments.get("strUserName"), arguments.get("strPassword")) != (
                script.username,
                script.password,
            ):
                return ["", "nvu"]
            if script.busy:
                return ["ticket-1", "busy", *script.authenticate_extra]
            instruction = script.company_file if script.steps else "none"
            return ["ticket-1", instruction, *script.authenticate_extra]
        if operation == "sendRequestXML":
            if self._noops < script.noops_before_first_request:
                self._noops += 1
                self._last_error = "NoOp"
                return ""
            if self._position >= len(script.steps):
                self._last_error = "Nothing more to send."
                return ""
            step = script.steps[self._position]
            previous = self.answers[-1] if self.answers else None
            request = step(previous) if callable(step) else step
            if not request:
                self._last_error = "The script ended."
            return request
        if operation == "receiveResponseXML":
            self._position += 1
            if arguments.get("hresult"):
                self.answers.append(None)
                self._last_error = f"QuickBooks refused the request: {arguments.get('message')}"
                return -1
            answer = etree.fromstring(arguments["response"].split("?>", 2)[2].encode())
            for ret in answer.iter(*RETS):
                rules.check(ret)  # every record as QuickBooks writes it
            self.answers.append(answer)
            return (
                100
                if self._position >= len(script.steps)
                else int(100 * self._position / len(script.steps))
            )
        if operation == "getLastError":
            return self._last_error
        if operation == "connectionError":
            return script.connection_error_reply
        if operation == "closeConnection":
            return "OK"
        raise ValueError(operation)


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format, *args):
        return

    def do_POST(self):
        endpoint: ScriptedEndpoint = self.server
        body = self.rfile.read(int(self.headers["Content-Length"]))
        envelope = etree.fromstring(body)
        request = envelope.find(f"{{{SOAP}}}Body")[0]
        operation = etree.QName(request).localname
        arguments = {etree.QName(child).localname: child.text or "" for child in request}
        with endpoint._lock:
            endpoint.raw_requests.append((operation, body, self.headers.get("SOAPAction", "")))
            endpoint.calls.append({"operation": operation, "arguments": arguments})
            result = endpoint.answer(operation, arguments)
        if isinstance(result, list):
            inner = "".join(f"<string>{escape(item)}</string>" for item in result)
        else:
            inner = escape(str(result))
        data = (
            f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP}">'
            f'<soap:Body><{operation}Response xmlns="{NS}"><{operation}Result>{inner}'
            f"</{operation}Result></{operation}Response></soap:Body></soap:Envelope>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
