"""A small, scripted QuickBooks Desktop for these tests: it answers the list queries the
service hands out as QuickBooks does (reference: quickbooks-desktop.md §2.2, §2.5), pages with
iterators that belong to one session, and says which qbXML versions it reads.

The faithful stand-in (a company file behind a real Web Connector) is the sandbox's; this one
is only what a test needs to play the Web Connector's part by hand."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from lxml import etree

_ids = itertools.count(1)


def host_response(*versions: str) -> str:
    """The HostQuery answer the Web Connector passes on the first sendRequestXML."""
    supported = "".join(f"<SupportedQBXMLVersion>{v}</SupportedQBXMLVersion>" for v in versions)
    return (
        '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>'
        '<HostQueryRs requestID="0" statusCode="0" statusSeverity="Info" statusMessage="Status OK">'
        "<HostRet><ProductName>QuickBooks Premier Contractor Edition 2014</ProductName>"
        f"<MajorVersion>24</MajorVersion><MinorVersion>0</MinorVersion><Country>US</Country>"
        f"{supported}<IsAutomaticLogin>false</IsAutomaticLogin><QBFileMode>SingleUser</QBFileMode>"
        "</HostRet></HostQueryRs>"
        '<CompanyQueryRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK">'
        "<CompanyRet><CompanyName>Riverside Builders</CompanyName></CompanyRet></CompanyQueryRs>"
        "</QBXMLMsgsRs></QBXML>"
    )


def _list_id() -> str:
    return f"{next(_ids):X}0000-1197770000"


def _element(name: str, **children) -> str:
    inner = "".join(
        f"<{key}>{value}</{key}>"
        if key.endswith(("Ref", "Address"))
        else f"<{key}>{escape(str(value))}</{key}>"
        for key, value in children.items()
        if value is not None
    )
    return f"<{name}>{inner}</{name}>"


def customer(name: str, *, customer_type: str = "", active: bool = True) -> str:
    return _element(
        "CustomerRet",
        ListID=_list_id(),
        TimeCreated="2026-01-05T09:00:00-08:00",
        TimeModified="2026-01-05T09:00:00-08:00",
        EditSequence="1736096400",
        Name=name,
        FullName=name,
        IsActive=str(active).lower(),
        Sublevel=0,
        CustomerTypeRef=f"<FullName>{escape(customer_type)}</FullName>" if customer_type else None,
    )


def job(name: str, parent_ret: str, *, street: str = "") -> str:
    parent = etree.fromstring(parent_ret)
    parent_name = parent.findtext("FullName")
    return _element(
        "CustomerRet",
        ListID=_list_id(),
        EditSequence="1736096401",
        Name=name,
        FullName=f"{parent_name}:{name}",
        IsActive="true",
        ParentRef=(
            f"<ListID>{parent.findtext('ListID')}</ListID><FullName>{escape(parent_name)}</FullName>"
        ),
        Sublevel=1,
        BillAddress=f"<Addr1>{escape(street)}</Addr1><City>Portland</City><State>OR</State>"
        if street
        else None,
    )


def vendor(name: str, *, tax_id: str = "", balance: str = "0.00", active: bool = True) -> str:
    return _element(
        "VendorRet",
        ListID=_list_id(),
        EditSequence="1736096402",
        Name=name,
        IsActive=str(active).lower(),
        CompanyName=name,
        VendorAddress="<Addr1>12 Main St</Addr1><City>Salem</City><State>OR</State>"
        "<PostalCode>97301</PostalCode>",
        Phone="503-555-0100",
        Email=f"office@{name.split()[0].lower()}.example",
        VendorTaxIdent=tax_id or None,
        Balance=balance,
    )


def item(kind: str, name: str, *, active: bool = True) -> str:
    return _element(
        kind,
        ListID=_list_id(),
        EditSequence="1736096403",
        Name=name,
        FullName=name,
        IsActive=str(active).lower(),
    )


def account(name: str, account_type: str, *, number: str = "") -> str:
    return _element(
        "AccountRet",
        ListID=_list_id(),
        EditSequence="1736096404",
        Name=name.split(":")[-1],
        FullName=name,
        IsActive="true",
        AccountType=account_type,
        AccountNumber=number or None,
    )


@dataclass
class QuickBooks:
    """The company's lists (…Ret elements as text), the iterators of the open session, and
    the requests it refuses (operation → status code and message)."""

    lists: dict[str, list[str]] = field(default_factory=dict)
    refusals: dict[str, tuple[int, str]] = field(default_factory=dict)
    iterators: dict[str, tuple[str, int]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def session_ended(self) -> None:
        self.iterators.clear()

    def answer(self, qbxml: str) -> str:
        """QuickBooks' answer to one request message (one …Rq inside, as the service sends)."""
        self.requests.append(qbxml)
        root = etree.fromstring(qbxml.split("?>", 2)[-1].strip().encode())
        request = root.find("QBXMLMsgsRq")[0]
        operation = request.tag
        name = operation[: -len("Rq")] + "Rs"
        request_id = request.get("requestID")
        if operation in self.refusals:
            code, said = self.refusals[operation]
            return self._rs(name, request_id, code, "Error", said, "")
        rows = self.lists.get(operation, [])
        if operation in ("CustomerQueryRq", "VendorQueryRq", "ItemQueryRq") and request.get(
            "iterator"
        ):
            size = int(request.findtext("MaxReturned") or len(rows) or 1)
            if request.get("iterator") == "Start":
                iterator_id = "{" + f"{next(_ids):08d}-0000-0000-0000-000000000000" + "}"
                start = 0
            else:
                iterator_id = request.get("iteratorID")
                if iterator_id not in self.iterators:
                    return self._rs(
                        name, request_id, 3170, "Error", "The iterator is not valid.", ""
                    )
                start = self.iterators[iterator_id][1]
            page = rows[start : start + size]
            remaining = max(0, len(rows) - start - len(page))
            self.iterators[iterator_id] = (operation, start + len(page))
            attributes = f' iteratorRemainingCount="{remaining}" iteratorID="{iterator_id}"'
            return self._rs(name, request_id, 0, "Info", "Status OK", "".join(page), attributes)
        if not rows:
            return self._rs(
                name,
                request_id,
                1,
                "Info",
                "A query request did not find a matching object in QuickBooks",
                "",
            )
        return self._rs(name, request_id, 0, "Info", "Status OK", "".join(rows))

    @staticmethod
    def _rs(name, request_id, code, severity, message, body, attributes="") -> str:
        return (
            '<?xml version="1.0" ?>\n<QBXML>\n<QBXMLMsgsRs>\n'
            f'<{name} requestID="{request_id}" statusCode="{code}" statusSeverity="{severity}" '
            f'statusMessage="{escape(message)}"{attributes}>{body}</{name}>\n'
            "</QBXMLMsgsRs>\n</QBXML>\n"
        )
