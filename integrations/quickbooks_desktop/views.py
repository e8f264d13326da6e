"""The Web Connector's endpoint: SOAP calls by POST, the WSDL at ?wsdl.

Whatever arrives, the answer is SOAP: a call that cannot be read gets a SOAP fault saying why,
never an error page. Each call runs in its own transaction (service.py locks the run's row).
"""

from __future__ import annotations

import logging
from pathlib import Path
from xml.sax.saxutils import quoteattr

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, HttpResponseNotAllowed
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from accounts.addresses import client_address
from integrations.quickbooks_desktop import service, soap

logger = logging.getLogger(__name__)

WSDL = (Path(__file__).parent / "qbwc.wsdl").read_text()
SOAP_TYPE = "text/xml; charset=utf-8"
ADDRESS_ONLY = (
    "This is the address QuickBooks Desktop's Web Connector calls; it answers SOAP calls only. "
    "An administrator adds it to the Web Connector with the .qwc file from the connection's "
    "page under ERP Integrations.\n"
)


def endpoint_url(request) -> str:
    return request.build_absolute_uri(reverse("quickbooks_desktop:qbwc"))


def _dispatch(call: soap.Call, request):
    match call.operation:
        case "serverVersion":
            return service.server_version()
        case "clientVersion":
            return service.client_version(call.text("strVersion"))
        case "authenticate":
            return service.authenticate(
                call.text("strUserName"), call.text("strPassword"), address=client_address(request)
            )
        case "sendRequestXML":
            return service.send_request_xml(
                call.text("ticket"),
                call.text("strHCPResponse"),
                call.text("strCompanyFileName"),
                call.text("qbXMLCountry"),
                call.number("qbXMLMajorVers"),
                call.number("qbXMLMinorVers"),
            )
        case "receiveResponseXML":
            return service.receive_response_xml(
                call.text("ticket"),
                call.text("response"),
                call.text("hresult"),
                call.text("message"),
            )
        case "connectionError":
            return service.connection_error(
                call.text("ticket"), call.text("hresult"), call.text("message")
            )
        case "getLastError":
            return service.get_last_error(call.text("ticket"))
        case "closeConnection":
            return service.close_connection(call.text("ticket"))


@csrf_exempt
def qbwc(request):
    if request.method == "GET" and "wsdl" in {key.lower() for key in request.GET}:
        document = WSDL.replace(
            'location="ADDRESS"', f"location={quoteattr(endpoint_url(request))}"
        )
        return HttpResponse(document, content_type=SOAP_TYPE)
    if request.method == "GET":
        return HttpResponse(ADDRESS_ONLY, content_type="text/plain; charset=utf-8")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        call = soap.read_call(request.body)
    except RequestDataTooBig:
        return HttpResponse(
            soap.fault("The message is too large."), status=400, content_type=SOAP_TYPE
        )
    except soap.BadCall as error:
        return HttpResponse(soap.fault(str(error)), status=400, content_type=SOAP_TYPE)
    try:
        result = _dispatch(call, request)
    except Exception:
        logger.exception("The Web Connector's %s call failed", call.operation)
        sentence = "The service failed to handle this call; it was logged. Try again later."
        return HttpResponse(soap.fault(sentence, code="Server"), status=500, content_type=SOAP_TYPE)
    return HttpResponse(soap.answer(call.operation, result), content_type=SOAP_TYPE)
