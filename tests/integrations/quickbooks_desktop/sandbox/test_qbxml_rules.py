"""QuickBooks parses a whole message against the qbXML 12.0 schema before running any of it."""

from __future__ import annotations

import pytest

from .conftest import answers, message

PARSE = "0x80040400"


def refused(qbd_sandbox, text: str) -> str:
    result = qbd_sandbox.qbxml(text)
    assert result.get("hresult") == PARSE, result
    assert (
        result["message"] == "QuickBooks found an error when parsing the provided XML text stream."
    )
    return result["detail"]


def customer_add(inner: str) -> str:
    return message(f"<CustomerAddRq><CustomerAdd>{inner}</CustomerAdd></CustomerAddRq>")


def test_elements_out_of_the_schemas_order_fail_the_whole_message(qbd_sandbox):
    text = message(
        "<CustomerAddRq><CustomerAdd><Name>First</Name></CustomerAdd></CustomerAddRq>",
        "<CustomerAddRq><CustomerAdd><CompanyName>Acme</CompanyName><Name>Second</Name>"
        "</CustomerAdd></CustomerAddRq>",
    )
    detail = refused(qbd_sandbox, text)
    assert "CustomerAdd: CompanyName is out of order" in detail or "Name is out of order" in detail
    assert qbd_sandbox.records("Customer") == []  # the valid first request did not run either


def test_the_schemas_order_passes(qbd_sandbox):
    result = qbd_sandbox.qbxml(
        customer_add(
            "<Name>Acme</Name><IsActive>true</IsActive><CompanyName>Acme Inc</CompanyName>"
        )
    )
    assert answers(result)[0].get("statusCode") == "0"


@pytest.mark.parametrize(
    ("inner", "expected"),
    [
        ("<Name>Acme</Name><Colour>red</Colour>", "Colour is not an element QuickBooks knows here"),
        ("", "a required element is missing"),
        ("<CompanyName>Acme</CompanyName>", "CompanyName is out of order"),
        ("<Name>Acme</Name><Name>Twice</Name>", "Name is out of order, repeated"),
        ("<Name>" + "x" * 42 + "</Name>", "42 characters, at most 41"),
        ("<Name>Acme</Name><IsActive>yes</IsActive>", "'yes' is not a valid BOOL"),
        ("<Name>Acme</Name><JobStatus>Started</JobStatus>", "'Started' is not one of Awarded"),
        ("<Name>Acme</Name><JobStartDate>2026-02-30</JobStartDate>", "is not a date"),
        ("<Name>Acme</Name><OpenBalance>12.5</OpenBalance>", "'12.5' is not a valid AMT"),
        ("<Name><b>Acme</b></Name>", "a value, not elements"),
        ("<Name>Acme</Name><ParentRef>Acme</ParentRef>", "text is not allowed here"),
        ("<Name>Acme</Name>stray text<IsActive>true</IsActive>", "text is not allowed here"),
    ],
)
def test_what_the_schema_refuses(qbd_sandbox, inner, expected):
    assert expected in refused(qbd_sandbox, customer_add(inner))


def test_a_name_of_exactly_41_characters_and_an_amount_with_two_decimals_pass(qbd_sandbox):
    result = qbd_sandbox.qbxml(
        customer_add("<Name>" + "x" * 41 + "</Name><OpenBalance>12.50</OpenBalance>")
    )
    assert answers(result)[0].get("statusCode") == "0"


def test_item_names_are_at_most_31_characters(qbd_sandbox):
    item = "<ItemServiceAddRq><ItemServiceAdd><Name>{}</Name><SalesOrPurchase><Desc>x</Desc></SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>"
    assert "at most 31" in refused(qbd_sandbox, message(item.format("y" * 32)))
    assert answers(qbd_sandbox.qbxml(message(item.format("y" * 31))))[0].get("statusCode") == "0"


def test_choices_take_one_alternative(qbd_sandbox):
    both = "<VendorQueryRq><ListID>80000001-1</ListID><FullName>Acme</FullName></VendorQueryRq>"
    assert "FullName is out of order" in refused(qbd_sandbox, message(both))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (message("<CustomerQueryRq/>").replace(' onError="stopOnError"', ""), "needs onError"),
        (message("<CustomerQueryRq/>", on_error="keepGoing"), "needs onError"),
        (message("<CustomerQueryRq/>").replace('<?qbxml version="12.0"?>', ""), "no <?qbxml"),
        (message("<CustomerQueryRq/>", version="13.0"), "newer than this QuickBooks supports"),
        (message("<SalesReceiptAddRq/>"), "not a request this QuickBooks answers"),
        (message("<CustomerQueryRq>"), "Not well-formed XML"),
        (message("<CustomerQueryRq/>stray"), "Text outside the requests"),
        (
            message(
                '<TxnDeletedQueryRq iterator="Start"><TxnDelType>Bill</TxnDelType></TxnDeletedQueryRq>'
            ),
            "takes no attribute iterator",
        ),
        (message('<VendorQueryRq iterator="Again"/>'), "iterator must be one of"),
    ],
)
def test_what_the_envelope_refuses(qbd_sandbox, text, expected):
    assert expected in refused(qbd_sandbox, text)


def test_entities_are_not_expanded(qbd_sandbox):
    text = message(
        "<CustomerAddRq><CustomerAdd><Name>&secret;</Name></CustomerAdd></CustomerAddRq>"
    )
    text = text.replace(
        "<QBXML>", '<!DOCTYPE QBXML [<!ENTITY secret SYSTEM "file:///etc/passwd">]><QBXML>'
    )
    result = qbd_sandbox.qbxml(text)
    stored = [c["Name"] for c in qbd_sandbox.records("Customer")]
    assert "root:" not in str(result) and not any("root:" in name for name in stored)
