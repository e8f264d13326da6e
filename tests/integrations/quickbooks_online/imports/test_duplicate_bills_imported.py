"""The duplicate-bill check reads the bills the job-cost sync imported, never QuickBooks itself:
a bill keyed straight into QuickBooks is flagged at send and at accept with no request to it, and
one voided (QuickBooks zeroes it and notes "Voided") or deleted there stops counting. (The same
with any ERP: tests/approvals/services/importing/test_duplicate_bills_imported.py.)"""

from decimal import Decimal

import pytest

from approvals.models import ERPBill
from approvals.services.importing import job_costs
from approvals.services.workflow.actions import record_accept, record_send
from approvals.services.workflow.errors import PossibleDuplicate
from tests.factories import make_commitment, make_company, make_invoice, make_project, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def commitment(qbo_sandbox, qbo_connection):
    vendor = make_company(name="Acme Drywall", synced=True)
    vendor.erp_id = qbo_sandbox.create_entity("Vendor", {"DisplayName": "Acme Drywall"})["Id"]
    vendor.save(update_fields=["erp_id"])
    # No project has job costs enabled: the bills are imported all the same.
    return make_commitment(project=make_project(synced=True), vendor=vendor, synced=True)


@pytest.fixture
def key_bill(qbo_sandbox, commitment, accounts):
    def key(number: str, total: str, day: str) -> dict:
        return qbo_sandbox.create_entity(
            "Bill",
            {
                "DocNumber": number,
                "TxnDate": day,
                "VendorRef": {"value": commitment.vendor.erp_id},
                "Line": [
                    {
                        "Amount": total,
                        "DetailType": "AccountBasedExpenseLineDetail",
                        "AccountBasedExpenseLineDetail": {
                            "AccountRef": {"value": accounts["Job Materials"]}
                        },
                    }
                ],
            },
        )

    return key


def test_a_bill_keyed_into_quickbooks_is_flagged_at_send_and_accept_without_asking_it(
    qbo_sandbox, qbo_connection, commitment, key_bill
):
    pm = make_user(role="project_manager", projects=[commitment.project])
    approver = make_user(role="approver", username="carol")
    same_number = key_bill("PA-07", "5.00", "2026-01-15")
    job_costs.job_costs_sync(connection=qbo_connection)
    # Keyed after the first sync: the next one brings it in through change data capture.
    same_total = key_bill("OTHER", "900.00", "2026-05-20")
    assert not job_costs.job_costs_sync(connection=qbo_connection).full_read
    numbered = make_invoice(commitment=commitment, number="pa-07", lines=[{"work_completed": "5"}])
    in_period = make_invoice(commitment=commitment)  # $1,000.00 less $100.00 retainage
    qbo_sandbox.clear_request_log()

    record_send(record=numbered, actor=pm)
    record_send(record=in_period, actor=pm)
    with pytest.raises(PossibleDuplicate) as flagged:
        record_accept(record=numbered, actor=approver)

    assert qbo_sandbox.request_log() == []
    numbered.refresh_from_db()
    in_period.refresh_from_db()
    assert numbered.duplicate_warning == (
        "Possible duplicate of bill PA-07 in QuickBooks Online from Acme Drywall dated "
        "2026-01-15 for $5.00, unpaid (QuickBooks Online id "
        f"{same_number['Id']}, as of the last sync less than a minute ago)."
    )
    assert flagged.value.twins == [numbered.duplicate_warning[len("Possible duplicate of ") : -1]]
    assert (
        "bill OTHER in QuickBooks Online from Acme Drywall dated 2026-05-20 for $900.00, "
        f"unpaid (QuickBooks Online id {same_total['Id']}"
    ) in in_period.duplicate_warning


def test_imported_bills_follow_voids_and_deletes_in_quickbooks(
    qbo, qbo_connection, commitment, key_bill
):
    pm = make_user(role="project_manager", projects=[commitment.project])
    kept, deleted, voided = (
        key_bill("B-1", "1200.50", "2026-03-02"),
        key_bill("B-2", "10.00", "2026-03-03"),
        key_bill("B-3", "20.00", "2026-03-04"),
    )
    job_costs.job_costs_sync(connection=qbo_connection)
    assert ERPBill.objects.get(erp_id=kept["Id"]).total == Decimal("1200.50")

    qbo.delete("Bill", deleted["Id"], deleted["SyncToken"], request_id="bill-2-del")
    # QuickBooks voids a bill only in its own screens: zero amounts and a "Voided" note.
    zeroed = [{**line, "Amount": Decimal("0.00")} for line in voided["Line"]]
    qbo.update(
        "Bill",
        {**voided, "Line": zeroed, "PrivateNote": "Voided"},
        request_id="bill-3-void",
    )
    job_costs.job_costs_sync(connection=qbo_connection)

    assert not ERPBill.objects.filter(erp_id=deleted["Id"]).exists()
    assert ERPBill.objects.get(erp_id=voided["Id"]).is_voided
    invoices = [
        make_invoice(commitment=commitment, number=number, lines=[{"work_completed": amount}])
        for number, amount in (("B-1", "1"), ("B-2", "2"), ("B-3", "3"))
    ]
    for invoice in invoices:
        record_send(record=invoice, actor=pm)
        invoice.refresh_from_db()
    assert [bool(invoice.duplicate_warning) for invoice in invoices] == [True, False, False]
