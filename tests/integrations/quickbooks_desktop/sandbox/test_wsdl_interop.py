"""The Web Connector's WSDL, written in the project, read by zeep: its interface is the public
one, the local Web Connector's messages follow it, and a client built from it completes a
session against an endpoint."""

from __future__ import annotations

import zeep
from lxml import etree

from integrations.quickbooks_desktop.sandbox.web_connector import BINDING, WSDL

from .conftest import message
from .scripted_endpoint import Script

# The Web Connector's operations and their parameters, in order (the reference's table, §1.1).
INTERFACE = {
    "serverVersion": ["strVersion"],
    "clientVersion": ["strVersion"],
    "authenticate": ["strUserName", "strPassword"],
    "sendRequestXML": [
        "ticket",
        "strHCPResponse",
        "strCompanyFileName",
        "qbXMLCountry",
        "qbXMLMajorVers",
        "qbXMLMinorVers",
    ],
    "receiveResponseXML": ["ticket", "response", "hresult", "message"],
    "connectionError": ["ticket", "hresult", "message"],
    "getLastError": ["ticket"],
    "closeConnection": ["ticket"],
}


def binding():
    return zeep.Client(str(WSDL)).wsdl.bindings[BINDING]


def test_the_wsdl_describes_the_web_connectors_operations():
    operations = binding()._operations
    assert set(operations) == set(INTERFACE)
    for name, parameters in INTERFACE.items():
        operation = operations[name]
        assert operation.soapaction == f"http://developer.intuit.com/{name}"
        assert operation.style == "document"
        element = operation.input.body.type
        assert [child for child, _ in element.elements] == parameters
        assert operation.output.body.qname.namespace == "http://developer.intuit.com/"
        assert operation.output.body.qname.localname == f"{name}Response"


def test_every_message_the_web_connector_sends_follows_the_wsdl(qbd_sandbox, endpoint):
    qbd_sandbox.seed("Vendor", Name="Bolt Electric")
    endpoint.load(Script(steps=[message("<VendorQueryRq/>")]))
    qbd_sandbox.fault("file_in_use")
    endpoint.script.connection_error_reply = ""
    assert qbd_sandbox.run()["outcome"] == "ok"

    operations = binding()._operations
    parsed = {}
    for operation, body, soap_action in endpoint.raw_requests:
        assert soap_action.strip('"') == f"http://developer.intuit.com/{operation}"
        # zeep's own reading of the body raises on anything the WSDL does not describe.
        parsed[operation] = operations[operation].input.deserialize(etree.fromstring(body))
    assert set(parsed) == set(INTERFACE) - {"getLastError"}
    assert parsed["authenticate"].strUserName == "qbwc-sandbox"
    assert parsed["sendRequestXML"].qbXMLMajorVers == 12
    assert parsed["connectionError"].hresult == "0x80040410"
    assert parsed["receiveResponseXML"].response.startswith("<?xml")


def test_a_client_built_from_the_wsdl_completes_a_session(qbd_sandbox, endpoint):
    """What a Web Connector does, by hand: the endpoint under test could be any implementation."""
    qbd_sandbox.seed("Customer", Name="Acme Development")
    endpoint.load(
        Script(
            steps=[
                message("<CustomerQueryRq><FullName>Acme Development</FullName></CustomerQueryRq>")
            ]
        )
    )
    service = zeep.Client(str(WSDL)).create_service(BINDING, endpoint.url)

    service.serverVersion()
    assert service.clientVersion(strVersion="2.3.0.36") in ("", None)  # carry on
    ticket, instruction = service.authenticate(
        strUserName="qbwc-sandbox", strPassword="sandbox-password"
    )
    assert not instruction  # "": the company file that is open
    request = service.sendRequestXML(
        ticket=ticket,
        strHCPResponse="",
        strCompanyFileName="",
        qbXMLCountry="US",
        qbXMLMajorVers=12,
        qbXMLMinorVers=0,
    )
    answered = qbd_sandbox.qbxml(request)
    percent = service.receiveResponseXML(
        ticket=ticket, response=answered["response"], hresult="", message=""
    )
    assert percent == 100
    assert service.closeConnection(ticket=ticket) == "OK"
    customer = endpoint.answers[0].find(".//CustomerRet/FullName")
    assert customer.text == "Acme Development"
