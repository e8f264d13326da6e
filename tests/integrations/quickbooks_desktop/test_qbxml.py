"""The qbXML handed to QuickBooks follows the 12.0 schema's element order (reference §2.1,
§2.4: ListFilter is MaxReturned, ActiveStatus, FromModifiedDate, ToModifiedDate, then a name
filter; AccountQuery takes no iterator), and QuickBooks' lists read as the workflow keeps them."""

import pytest
from lxml import etree

from integrations.data import ImportedCustomer, ImportedJob
from integrations.quickbooks_desktop import lists, qbxml
from tests.integrations.quickbooks_desktop import quickbooks as qb

LIST_FILTER_ORDER = ["MaxReturned", "ActiveStatus", "FromModifiedDate", "ToModifiedDate"]


def parsed(message: str) -> etree._Element:
    head, pi, body = message.partition('<?qbxml version="12.0"?>')
    assert head == '<?xml version="1.0" encoding="utf-8"?>\n' and pi
    return etree.fromstring(body.strip().encode())


@pytest.mark.parametrize("operation", ["CustomerQueryRq", "VendorQueryRq", "ItemQueryRq"])
def test_paged_list_queries_follow_the_schema_order(operation):
    root = parsed(
        qbxml.message(
            qbxml.list_query(operation), request_id="x7", iterator="Continue", iterator_id="{9}"
        )
    )

    assert root.tag == "QBXML"
    messages = root.find("QBXMLMsgsRq")
    assert messages.get("onError") == "stopOnError"
    (request,) = messages
    assert request.tag == operation
    assert dict(request.attrib) == {"requestID": "x7", "iterator": "Continue", "iteratorID": "{9}"}
    children = [child.tag for child in request]
    assert children == ["MaxReturned", "ActiveStatus"]
    assert children == [name for name in LIST_FILTER_ORDER if name in children]
    assert request.findtext("ActiveStatus") == "All"
    assert int(request.findtext("MaxReturned")) == qbxml.PAGE_SIZE


def test_the_chart_of_accounts_is_asked_whole_without_an_iterator():
    request = parsed(qbxml.message(qbxml.list_query("AccountQueryRq"), request_id="x8"))[0][0]

    assert dict(request.attrib) == {"requestID": "x8"}
    assert [child.tag for child in request] == ["ActiveStatus"]


def test_a_request_id_stays_within_qbxml_s_50_characters():
    request = parsed(qbxml.message(qbxml.list_query("VendorQueryRq"), request_id="x" + "9" * 18))
    assert len(request[0][0].get("requestID")) <= 50


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("12.0", (12, 0)),
        ("13.0", (13, 0)),
        ("CA3.0", (3, 0)),
        ("8", (8, 0)),
        ("", None),
        ("x.y", None),
    ],
)
def test_versions_are_read_as_quickbooks_lists_them(text, version):
    assert qbxml.as_version(text) == version


def test_the_host_answer_lists_every_supported_version():
    assert qbxml.supported_versions(qb.host_response("1.0", "11.0", "12.0", "13.0")) == [
        (1, 0),
        (11, 0),
        (12, 0),
        (13, 0),
    ]


def ret(text: str) -> etree._Element:
    return etree.fromstring(text.encode())


def test_a_ret_with_only_its_id_reads_as_empty_values():
    vendor = lists.vendor(ret("<VendorRet><ListID>80000001-1</ListID></VendorRet>"))

    assert vendor.erp_id == "80000001-1"
    assert (vendor.display_name, vendor.email, vendor.open_balance, vendor.is_active) == (
        "",
        "",
        None,
        True,
    )


def test_names_with_markup_and_ampersands_come_through_as_typed():
    vendor = lists.vendor(ret(qb.vendor("Apex Drywall & Paint <West>")))
    assert vendor.display_name == "Apex Drywall & Paint <West>"


def test_a_job_is_a_customer_with_a_parent():
    acme = qb.customer("Acme Development", customer_type="Commercial")

    (customer,) = lists.customer_or_job(ret(acme))
    (job,) = lists.customer_or_job(ret(qb.job("Riverside Tower", acme)))

    assert isinstance(customer, ImportedCustomer) and isinstance(job, ImportedJob)
    assert job.parent_erp_id == customer.erp_id
    assert job.fully_qualified_name == "Acme Development:Riverside Tower"


def test_only_customers_of_the_chosen_type_are_offered_for_jobs():
    commercial = ret(qb.customer("Acme Development", customer_type="Commercial"))
    residential = ret(qb.customer("Harbor Homes", customer_type="Residential"))
    untyped = ret(qb.customer("Walk-in"))

    chosen = [
        row.display_name
        for element in (commercial, residential, untyped)
        for row in lists.customer_or_job(element, customer_type=" commercial ")
    ]

    assert chosen == ["Acme Development"]
    job = ret(qb.job("Lot 7", qb.customer("Harbor Homes", customer_type="Residential")))
    assert lists.customer_or_job(job, customer_type="Commercial")  # jobs are always kept


@pytest.mark.parametrize(
    ("name", "split"),
    [
        ("09-2900 Drywall", ("09-2900", "Drywall")),
        ("03 30 00 Concrete", ("03 30 00", "Concrete")),
        ("16-100 - Electrical", ("16-100", "Electrical")),
        ("Retainage", ("Retainage", "Retainage")),
    ],
)
def test_item_names_split_into_code_and_name(name, split):
    assert lists.split_cost_code(name) == split


def test_inventory_and_group_items_are_not_cost_codes():
    assert lists.cost_code(ret(qb.item("ItemInventoryRet", "Copper wire"))) == []
    assert lists.cost_code(ret(qb.item("ItemGroupRet", "Kitchen package"))) == []
    assert lists.cost_code(ret(qb.item("ItemOtherChargeRet", "Retainage")))
