from __future__ import annotations

import threading

import pytest
from lxml import etree

from integrations.quickbooks_desktop.sandbox import rules

from .scripted_endpoint import ScriptedEndpoint


@pytest.fixture(scope="session")
def _scripted_endpoint_server():
    server = ScriptedEndpoint()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def endpoint(_scripted_endpoint_server, qbd_sandbox):
    """The scripted endpoint, with the sandbox's Web Connector pointed at it."""
    qbd_sandbox.settings(app_url=_scripted_endpoint_server.url)
    _scripted_endpoint_server.load(_scripted_endpoint_server.script.__class__())
    return _scripted_endpoint_server


def message(*requests: str, on_error: str = "stopOnError", version: str = "12.0") -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="{version}"?>\n'
        f'<QBXML><QBXMLMsgsRq onError="{on_error}">{"".join(requests)}</QBXMLMsgsRq></QBXML>'
    )


def answers(result: dict) -> list:
    """The ...Rs elements of a control-API qbxml result (which must have parsed), each of their
    records checked against the qbXML 12.0 model of its ...Ret, as QuickBooks writes them."""
    assert "response" in result, result
    root = etree.fromstring(result["response"].split("?>", 2)[2].encode())
    for response in root[0]:
        assert set(response.attrib) >= {"statusCode", "statusSeverity", "statusMessage"}
        for ret in response:
            rules.check(ret)
    return list(root[0])


def rets(rs) -> list[dict]:
    return [ret_dict(ret) for ret in rs]


def ret_dict(element) -> dict:
    found: dict = {}
    for child in element:
        value = ret_dict(child) if len(child) else (child.text or "")
        if child.tag in found:
            existing = found[child.tag]
            found[child.tag] = (
                [*existing, value] if isinstance(existing, list) else [existing, value]
            )
        else:
            found[child.tag] = value
    return found
