"""Decisions around an export, with any ERP: a failed export retried from the queue, the history
of the exchange with the ERP, and a possible duplicate accepted only when confirmed. The
scripted connector answers the exports (tests/approvals/scripted_connector.py); the same with
QuickBooks Online is tested in tests/integrations/quickbooks_online/test_admin_decisions.py."""

from approvals.models import Company, SubcontractorInvoice
from approvals.states import SyncStatus
from integrations.base import ExportResult, PermanentERPError
from tests.approvals.admin.helpers import (
    change_url,
    decision_url,
    messages_of,
    refreshed,
    reviewed,
    run_queued_exports,
    send,
)
from tests.factories import make_commitment, make_company, make_invoice


def test_a_failed_export_is_retried_from_the_queue(
    approver_client, project_manager, scripted_connector
):
    scripted_connector.SCRIPT += [
        PermanentERPError("Another contact is named 'Acme Drywall'."),
        ExportResult(erp_id="vendor-9"),
    ]
    (company,) = send([make_company(name="Acme Drywall")], by=project_manager)
    approver_client.post(decision_url(Company, "accept"), {**reviewed([company])})
    run_queued_exports()
    company = refreshed(company)
    assert company.sync_status == SyncStatus.EXPORT_FAILED
    assert company.last_export_error == "Another contact is named 'Acme Drywall'."

    retried = approver_client.post(
        decision_url(Company, "retry"), {**reviewed([company])}, follow=True
    )

    assert "Company 'Acme Drywall': the export is queued again." in messages_of(retried)
    assert run_queued_exports() == ["synced"]
    company = refreshed(company)
    assert (company.sync_status, company.erp_id) == (SyncStatus.SYNCED, "vendor-9")


def test_the_history_shows_the_exchange_with_the_erp(
    approver_client, project_manager, scripted_connector
):
    scripted_connector.SCRIPT.append(
        ExportResult(
            erp_id="vendor-9",
            request_payload={"Name": "Acme <Drywall>"},
            response_payload={"ContactID": "vendor-9"},
        )
    )
    (company,) = send([make_company(name="Acme <Drywall>")], by=project_manager)
    approver_client.post(decision_url(Company, "accept"), {**reviewed([company])})
    run_queued_exports()
    company = refreshed(company)

    page = approver_client.get(change_url(company)).content.decode()

    assert company.sync_status == SyncStatus.SYNCED
    history = page[page.index('id="erp-history"') :]
    assert "Sent to ERP" in history and "Accepted" in history and "Exported" in history
    assert "Alice" in history and "export worker" in history
    assert "<summary>Request sent</summary>" in history
    assert "<summary>Response received</summary>" in history
    assert "&quot;Name&quot;: &quot;Acme &lt;Drywall&gt;&quot;" in history
    assert "&quot;ContactID&quot;: &quot;vendor-9&quot;" in history


def test_a_possible_duplicate_invoice_needs_an_explicit_accept_anyway(
    approver_client, approver, project, project_manager
):
    commitment = make_commitment(
        project=project, vendor=make_company(name="Acme Drywall", synced=True), synced=True
    )
    original, twin = send(
        [make_invoice(commitment=commitment, number="1043") for _ in range(2)], by=project_manager
    )

    page = approver_client.get(
        decision_url(SubcontractorInvoice, "accept", [original, twin])
    ).content.decode()
    assert "Possible duplicate" in page
    assert "invoice 1043 (Acme Drywall, $900.00" in page
    assert f'name="confirm_duplicate_{twin.pk}"' in page

    unconfirmed = approver_client.post(
        decision_url(SubcontractorInvoice, "accept"), {**reviewed([twin])}, follow=True
    )
    assert any("may be a duplicate of invoice 1043" in m for m in messages_of(unconfirmed))
    assert refreshed(twin).sync_status == SyncStatus.READY_TO_EXPORT

    confirmed = approver_client.post(
        decision_url(SubcontractorInvoice, "accept"),
        {**reviewed([twin]), f"confirm_duplicate_{twin.pk}": "on"},
        follow=True,
    )
    assert "Invoice 1043 (Acme Drywall): accepted; the export is queued." in messages_of(confirmed)
    twin = refreshed(twin)
    assert twin.sync_status == SyncStatus.EXPORTING
    assert twin.duplicate_confirmed_by == approver
    history = approver_client.get(change_url(twin)).content.decode()
    assert "accepted despite possible duplicate of invoice 1043" in history
