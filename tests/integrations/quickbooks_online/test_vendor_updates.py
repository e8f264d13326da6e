"""Vendor updates through the QuickBooks Online connector: the pure sparse payload, the update
against the sandbox over a real socket (read back from what the sandbox stored), and the same
through the export worker's task. (The workflow of a vendor update, with any ERP, is tested in
tests/approvals/services/exporting/test_vendor_updates.py.)"""

import copy

import pytest
from django.urls import reverse

from approvals.models import AuditEvent, VendorUpdate, VendorUpdateStatus
from approvals.services.workflow.vendor_updates import (
    vendor_update_accept,
    vendor_update_propose,
)
from approvals.states import Note, SyncStatus
from integrations.base import DuplicateNameError, TransientERPError, UpdatesVendors
from integrations.quickbooks_online import mapping
from integrations.quickbooks_online.client import QuickBooksClient
from integrations.quickbooks_online.connector import ExportRefused, QuickBooksOnlineConnector
from tests.approvals.admin.helpers import run_queued_exports
from tests.factories import make_company, make_erp_connection, make_user

ADDRESS = {
    "address_line1": "12 Harbor Road",
    "city": "Portland",
    "region": "OR",
    "postal_code": "97201",
    "country": "USA",
}


def changed(company, **values):
    proposed = copy.copy(company)
    for name, value in values.items():
        setattr(proposed, name, value)
    return proposed


VENDOR_AS_READ = {"Id": "58", "SyncToken": "3"}


@pytest.mark.django_db
class TestSparsePayload:
    def test_only_the_changed_fields_go_with_the_id_and_sync_token(self):
        company = make_company(name="Acme Drywall", email="ap@acme.test", phone="555-0100")
        payload = mapping.vendor_update_payload(
            company, changed(company, phone="555-0199"), vendor=VENDOR_AS_READ
        )
        assert payload == {
            "Id": "58",
            "SyncToken": "3",
            "PrimaryPhone": {"FreeFormNumber": "555-0199"},
            "sparse": True,
        }

    def test_a_rename_changes_the_display_name_and_the_company_name_it_stands_for(self):
        company = make_company(name="Acme Drywall")
        payload = mapping.vendor_update_payload(
            company, changed(company, name="Acme Drywall & Paint"), vendor=VENDOR_AS_READ
        )
        assert payload["DisplayName"] == "Acme Drywall & Paint"
        assert payload["CompanyName"] == "Acme Drywall & Paint"

    def test_a_rename_moves_the_check_payee_name_that_followed_the_old_name(self):
        company = make_company(name="Acme Drywall")
        payload = mapping.vendor_update_payload(
            company,
            changed(company, name="Acme Interiors"),
            vendor={**VENDOR_AS_READ, "PrintOnCheckName": "Acme Drywall"},
        )
        assert payload["PrintOnCheckName"] == "Acme Interiors"

    def test_a_rename_keeps_a_check_payee_name_the_accountant_chose(self):
        company = make_company(name="Acme Drywall")
        payload = mapping.vendor_update_payload(
            company,
            changed(company, name="Acme Interiors"),
            vendor={**VENDOR_AS_READ, "PrintOnCheckName": "Acme Drywall Holdings LLC"},
        )
        assert "PrintOnCheckName" not in payload

    def test_a_legal_name_changes_only_the_company_name(self):
        company = make_company(name="Acme Drywall")
        payload = mapping.vendor_update_payload(
            company, changed(company, legal_name="Acme Drywall LLC"), vendor=VENDOR_AS_READ
        )
        assert "DisplayName" not in payload
        assert payload["CompanyName"] == "Acme Drywall LLC"

    def test_one_address_part_changes_only_that_part_of_the_address_quickbooks_holds(self):
        company = make_company(**ADDRESS)
        in_quickbooks = {
            "Id": "91",
            "Line1": "12 Harbor Road",
            "Line2": "Suite 200",  # added in QuickBooks, never here
            "City": "Beaverton",  # corrected in QuickBooks
            "CountrySubDivisionCode": "OR",
            "PostalCode": "97214",
            "Country": "USA",
        }
        payload = mapping.vendor_update_payload(
            company,
            changed(company, postal_code="97209"),
            vendor={**VENDOR_AS_READ, "BillAddr": in_quickbooks},
        )
        assert payload["BillAddr"] == {**in_quickbooks, "PostalCode": "97209"}

    def test_an_emptied_address_part_is_left_out_of_the_address(self):
        company = make_company(**ADDRESS)
        payload = mapping.vendor_update_payload(
            company,
            changed(company, address_line1=""),
            vendor={**VENDOR_AS_READ, "BillAddr": {"Line1": "12 Harbor Road", "City": "Portland"}},
        )
        assert payload["BillAddr"] == {"City": "Portland"}

    def test_emptied_fields_are_sent_empty_so_the_sparse_update_clears_them(self):
        company = make_company(email="ap@acme.test", phone="555-0100", tax_id="12-3456789")
        payload = mapping.vendor_update_payload(
            company, changed(company, email="", phone="", tax_id=""), vendor=VENDOR_AS_READ
        )
        assert payload["PrimaryEmailAddr"] == {"Address": ""}
        assert payload["PrimaryPhone"] == {"FreeFormNumber": ""}
        assert payload["TaxIdentifier"] == ""


@pytest.fixture
def connector(qbo_connection):
    return QuickBooksOnlineConnector(qbo_connection)


@pytest.fixture
def linked_company(qbo_sandbox, qbo_connection):
    """A company exported earlier: its vendor holds what it sent, and more typed in QuickBooks."""
    vendor = qbo_sandbox.create_entity(
        "Vendor",
        {
            "DisplayName": "Acme Drywall",
            "CompanyName": "Acme Drywall",
            "PrimaryEmailAddr": {"Address": "ap@acme.test"},
            "PrimaryPhone": {"FreeFormNumber": "555-0100"},
            "TaxIdentifier": "12-3456789",
            "BillAddr": {"Line1": "12 Harbor Road", "City": "Portland", "PostalCode": "97201"},
            "AcctNum": "ACME-7",
            "Mobile": {"FreeFormNumber": "555-0177"},
        },
    )
    return make_company(
        name="Acme Drywall",
        email="ap@acme.test",
        phone="555-0100",
        tax_id="12-3456789",
        address_line1="12 Harbor Road",
        city="Portland",
        postal_code="97201",
        sync_status=SyncStatus.SYNCED,
        erp_id=vendor["Id"],
        erp_version=vendor["SyncToken"],
        erp_connection=qbo_connection,
    )


def stored_vendor(qbo_sandbox, erp_id: str) -> dict:
    return next(v for v in qbo_sandbox.entities("Vendor") if v["Id"] == erp_id)


def vendor_writes(qbo_sandbox) -> list[dict]:
    return [
        entry
        for entry in qbo_sandbox.request_log()
        if entry["method"] == "POST" and entry["path"].endswith("/vendor")
    ]


@pytest.mark.django_db
class TestAgainstTheSandbox:
    def test_the_connector_offers_vendor_updates(self, connector):
        assert isinstance(connector, UpdatesVendors)

    def test_a_sparse_update_changes_the_fields_and_keeps_everything_else(
        self, connector, linked_company, qbo_sandbox
    ):
        before = stored_vendor(qbo_sandbox, linked_company.erp_id)
        result = connector.vendor_update(
            linked_company,
            new_values={"tax_id": "98-7654321", "city": "Salem"},
            request_key="vu-test-1",
        )

        vendor = stored_vendor(qbo_sandbox, linked_company.erp_id)
        assert vendor["TaxIdentifier"] == "98-7654321"
        assert vendor["BillAddr"]["City"] == "Salem"
        assert vendor["BillAddr"]["Line1"] == "12 Harbor Road"
        # Sparse: what the app never sent stays as the accountant typed it in QuickBooks.
        assert vendor["AcctNum"] == "ACME-7"
        assert vendor["Mobile"] == {"FreeFormNumber": "555-0177"}
        assert vendor["PrimaryEmailAddr"] == {"Address": "ap@acme.test"}
        assert int(vendor["SyncToken"]) == int(before["SyncToken"]) + 1
        assert result.version == vendor["SyncToken"]
        [write] = vendor_writes(qbo_sandbox)
        assert "requestid=vu-test-1" in write["query"]
        assert result.request_payload["sparse"] is True
        assert set(result.request_payload) == {
            "Id",
            "SyncToken",
            "TaxIdentifier",
            "BillAddr",
            "sparse",
        }

    def test_an_emptied_email_is_removed_from_the_vendor(
        self, connector, linked_company, qbo_sandbox
    ):
        connector.vendor_update(linked_company, new_values={"email": ""}, request_key="vu-test-2")
        vendor = stored_vendor(qbo_sandbox, linked_company.erp_id)
        assert not (vendor.get("PrimaryEmailAddr") or {}).get("Address")
        assert vendor["PrimaryPhone"] == {"FreeFormNumber": "555-0100"}

    def test_someone_editing_the_vendor_between_read_and_update_is_retried_on_a_new_read(
        self, connector, linked_company, qbo_sandbox, qbo_connection, monkeypatch
    ):
        books = QuickBooksClient(qbo_connection)
        read = QuickBooksClient.read
        edits = []

        def read_then_someone_edits(client, entity, entity_id):
            document = read(client, entity, entity_id)
            if entity == "Vendor" and not edits:
                # The accountant saves the vendor in QuickBooks right after our read.
                edits.append(
                    books.update(
                        "Vendor",
                        {**_sparse(document), "Mobile": {"FreeFormNumber": "555-0188"}},
                        request_id="books-edit",
                        sparse=True,
                    )
                )
            return document

        monkeypatch.setattr(QuickBooksClient, "read", read_then_someone_edits)
        connector.vendor_update(
            linked_company, new_values={"phone": "555-0199"}, request_key="vu-test-3"
        )

        vendor = stored_vendor(qbo_sandbox, linked_company.erp_id)
        assert vendor["PrimaryPhone"] == {"FreeFormNumber": "555-0199"}
        assert vendor["Mobile"] == {"FreeFormNumber": "555-0188"}  # their edit is kept
        stale, applied = vendor_writes(qbo_sandbox)[-2:]
        assert stale["status"] == 400 and applied["status"] == 200

    def test_a_vendor_always_changed_in_between_is_left_for_a_later_try(
        self, connector, linked_company, qbo_connection, monkeypatch
    ):
        def always_stale(client, entity, payload, *, request_id, sparse=False):
            from integrations.base import StaleObjectError

            raise StaleObjectError("Stale Object Error", code="5010")

        monkeypatch.setattr(QuickBooksClient, "update", always_stale)
        with pytest.raises(TransientERPError, match="keeps changing vendor 'Acme Drywall'"):
            connector.vendor_update(linked_company, new_values={"phone": "1"}, request_key="k")

    def test_a_name_another_vendor_has_is_refused_with_a_sentence(
        self, connector, linked_company, qbo_sandbox
    ):
        qbo_sandbox.create_entity("Vendor", {"DisplayName": "Bravo Paint"})
        with pytest.raises(DuplicateNameError) as refused:
            connector.vendor_update(
                linked_company, new_values={"name": "Bravo Paint"}, request_key="vu-test-4"
            )
        assert "already has another vendor, customer or employee named 'Bravo Paint'" in str(
            refused.value
        )
        assert stored_vendor(qbo_sandbox, linked_company.erp_id)["DisplayName"] == "Acme Drywall"

    def test_a_name_quickbooks_refuses_is_caught_before_anything_is_sent(
        self, connector, linked_company, qbo_sandbox
    ):
        qbo_sandbox.clear_request_log()
        with pytest.raises(ExportRefused, match="contains a colon"):
            connector.vendor_update(
                linked_company, new_values={"name": "Acme: Drywall"}, request_key="k"
            )
        assert qbo_sandbox.request_log() == []


def _sparse(document: dict) -> dict:
    return {"Id": document["Id"], "SyncToken": document["SyncToken"]}


# Through the worker: proposed, accepted, then the export worker's task -----------------------


def vendor_update_accepted(company, new_values: dict):
    proposer = make_user(role="approver", username="pat", first_name="Pat")
    approver = make_user(role="approver", username="alice", first_name="Alice")
    update = vendor_update_propose(company=company, actor=proposer, new_values=new_values)
    update.refresh_from_db()
    vendor_update_accept(update=update, actor=approver, version=update.version)
    return update


@pytest.mark.django_db
class TestThroughTheWorker:
    def test_the_worker_updates_the_vendor_in_quickbooks_then_the_company(
        self, linked_company, qbo_sandbox
    ):
        qbo_sandbox.clear_request_log()
        vendor_update_accepted(
            linked_company,
            {"tax_id": "98-7654321", "address_line1": "4 Mill Lane", "phone": "555-0199"},
        )
        assert qbo_sandbox.request_log() == []  # the accept asked nothing of QuickBooks

        assert run_queued_exports() == ["applied"]

        linked_company.refresh_from_db()
        vendor = stored_vendor(qbo_sandbox, linked_company.erp_id)
        assert linked_company.erp_version == vendor["SyncToken"]
        assert vendor["TaxIdentifier"] == "98-7654321"
        assert vendor["BillAddr"]["Line1"] == "4 Mill Lane"
        assert vendor["BillAddr"]["City"] == "Portland"
        assert vendor["PrimaryPhone"] == {"FreeFormNumber": "555-0199"}
        assert vendor["AcctNum"] == "ACME-7"  # sparse: untouched fields kept
        applied = AuditEvent.objects.get(
            object_id=linked_company.pk, action=Note.VENDOR_UPDATE_APPLIED
        )
        assert applied.request_payload["sparse"] is True
        assert applied.request_payload["TaxIdentifier"] == "98-7654321"

    def test_a_vendor_edited_in_quickbooks_between_read_and_update_is_re_read_and_applied(
        self, linked_company, qbo_sandbox, qbo_connection, monkeypatch
    ):
        books = QuickBooksClient(qbo_connection)
        read = QuickBooksClient.read
        edited = []

        def read_then_the_accountant_saves_it(client, entity, entity_id):
            document = read(client, entity, entity_id)
            if entity == "Vendor" and not edited:
                edited.append(
                    books.update(
                        "Vendor",
                        {**_sparse(document), "Mobile": {"FreeFormNumber": "555-0188"}},
                        request_id="books-edit",
                        sparse=True,
                    )
                )
            return document

        monkeypatch.setattr(QuickBooksClient, "read", read_then_the_accountant_saves_it)
        vendor_update_accepted(linked_company, {"city": "Salem"})

        assert run_queued_exports() == ["applied"]
        vendor = stored_vendor(qbo_sandbox, linked_company.erp_id)
        assert vendor["BillAddr"]["City"] == "Salem"
        assert vendor["Mobile"] == {"FreeFormNumber": "555-0188"}
        linked_company.refresh_from_db()
        assert linked_company.city == "Salem"
        assert linked_company.erp_version == vendor["SyncToken"]

    def test_a_name_another_vendor_has_fails_the_update_with_quickbooks_sentence(
        self, linked_company, qbo_sandbox
    ):
        qbo_sandbox.create_entity("Vendor", {"DisplayName": "Bravo Paint"})
        update = vendor_update_accepted(linked_company, {"name": "Bravo Paint"})

        assert run_queued_exports() == ["failed"]

        update.refresh_from_db()
        assert "already has another vendor, customer or employee named 'Bravo Paint'" in (
            update.last_error
        )
        linked_company.refresh_from_db()
        assert linked_company.name == "Acme Drywall"

    def test_a_quickbooks_outage_is_retried_later(self, linked_company, qbo_sandbox):
        update = vendor_update_accepted(linked_company, {"city": "Salem"})
        qbo_sandbox.inject_fault("http_503", count=10)

        assert run_queued_exports() == ["retry scheduled"]
        update.refresh_from_db()
        assert update.status == VendorUpdateStatus.UPDATING
        assert update.last_error


COMPANY_FORM_FIELDS = (
    "name",
    "legal_name",
    "tax_id",
    "email",
    "phone",
    "address_line1",
    "city",
    "region",
    "postal_code",
    "country",
)


@pytest.mark.django_db
def test_a_name_quickbooks_refuses_gets_its_sentence_on_the_edit_page_and_no_proposal(client):
    # Checking a proposed change for QuickBooks needs no HTTP: no sandbox is started.
    company = make_company(
        name="Acme Drywall",
        sync_status=SyncStatus.SYNCED,
        erp_id="58",
        erp_connection=make_erp_connection(),
    )
    client.force_login(make_user(role="approver", username="pat"))
    posted = {name: getattr(company, name) for name in COMPANY_FORM_FIELDS}

    response = client.post(
        reverse("approvals:company_edit", args=[company.pk]), {**posted, "name": "Acme: Drywall"}
    )

    assert response.status_code == 200
    assert "contains a colon" in response.content.decode()
    assert not VendorUpdate.objects.exists()
