from datetime import date

import pytest

from approvals.models import AuditEvent, SubcontractorInvoice
from approvals.services import PossibleDuplicate, record_accept, record_send
from approvals.states import Action, SyncStatus
from tests.factories import make_commitment, make_company, make_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendor(erp_connection):
    return make_company(name="Acme Drywall", synced=True)


@pytest.fixture
def commitment(project, vendor):
    return make_commitment(project=project, vendor=vendor, synced=True)


def test_same_vendor_and_number_is_flagged_at_send_and_stops_accept(commitment, pm, approver):
    first = make_invoice(commitment=commitment, number="1043")
    # Another commitment of the same vendor: the vendor's invoice numbers are unique.
    other_commitment = make_commitment(
        project=commitment.project, vendor=commitment.vendor, synced=True
    )
    second = make_invoice(
        commitment=other_commitment,
        number=" 1043",
        lines=[{"work_completed": "777.00"}],
        period_start=date(2026, 7, 1),
    )

    record_send(record=second, actor=pm)
    second.refresh_from_db()
    assert second.duplicate_of == first
    assert second.duplicate_warning.startswith(
        "Possible duplicate of invoice 1043 (Acme Drywall, $900.00, 2026-05-01 to 2026-05-31"
    )

    with pytest.raises(PossibleDuplicate) as flagged:
        record_accept(record=second, actor=approver)
    assert flagged.value.twins[0].startswith("invoice 1043 (Acme Drywall")
    assert SubcontractorInvoice.objects.get(pk=second.pk).sync_status == SyncStatus.READY_TO_EXPORT

    record_accept(record=second, actor=approver, confirm_duplicate=True)
    second.refresh_from_db()
    assert second.sync_status == SyncStatus.EXPORTING
    assert second.duplicate_confirmed_by == approver
    accept = AuditEvent.objects.get(action=Action.ACCEPT, object_id=second.pk)
    assert accept.reason.startswith("accepted despite possible duplicate of invoice 1043 (")


def test_same_amount_and_period_is_flagged(commitment):
    from approvals.services.workflow.duplicates import invoice_possible_duplicates

    original = make_invoice(commitment=commitment, number="A-1")
    twin = make_invoice(commitment=commitment, number="A-2")
    different_amount = make_invoice(
        commitment=commitment, number="A-3", lines=[{"work_completed": "1000.01"}]
    )
    local, described = invoice_possible_duplicates(twin)
    assert local == [original]
    assert len(described) == 1
    assert invoice_possible_duplicates(different_amount)[0] == []


def test_other_vendors_and_void_invoices_are_not_twins(commitment, project):
    make_invoice(commitment=commitment, number="9", status="void")
    other_vendor = make_commitment(project=project, vendor=make_company(synced=True), synced=True)
    make_invoice(commitment=other_vendor, number="9")
    from approvals.services.workflow.duplicates import invoice_possible_duplicates

    invoice = make_invoice(commitment=commitment, number="9", lines=[{"work_completed": "5"}])
    assert invoice_possible_duplicates(invoice) == ([], [])


def test_imported_erp_bills_count_and_say_how_fresh_they_are(
    erp_connection, commitment, approver, pm
):
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from approvals.models import ERPBill, SyncCursor, SyncKind

    SyncCursor.objects.create(
        erp_connection=erp_connection,
        kind=SyncKind.JOB_COSTS,
        last_success_at=timezone.now() - timedelta(minutes=3, seconds=5),
    )
    bill = dict(erp_connection=erp_connection, vendor_erp_id=commitment.vendor.erp_id)
    ERPBill.objects.create(
        **bill,
        erp_id="77",
        number="77",
        billed_on=date(2026, 1, 9),
        total=Decimal("1.00"),
        pre_tax_total=Decimal("1.00"),
        balance=Decimal("0.40"),
    )
    # Another vendor's bill, and a voided one, are no duplicates.
    ERPBill.objects.create(
        **{**bill, "vendor_erp_id": "someone-else"},
        erp_id="78",
        number="77",
        total=Decimal("1.00"),
        pre_tax_total=Decimal("1.00"),
        balance=Decimal("1.00"),
    )
    ERPBill.objects.create(
        **bill,
        erp_id="79",
        number="77",
        total=Decimal("0.00"),
        pre_tax_total=Decimal("0.00"),
        balance=Decimal("0.00"),
        is_voided=True,
    )
    invoice = make_invoice(commitment=commitment, number="77")

    record_send(record=invoice, actor=pm)

    expected = (
        "bill 77 in Xero from Acme Drywall dated 2026-01-09 for $1.00, partly paid "
        "($0.40 open) (Xero id 77, as of the last sync 3 minutes ago)"
    )
    assert invoice.duplicate_warning == f"Possible duplicate of {expected}."
    with pytest.raises(PossibleDuplicate) as flagged:
        record_accept(record=invoice, actor=approver)
    assert flagged.value.twins == [expected]


def test_direct_export_leaves_a_possible_duplicate_for_an_approver(commitment, pm):
    from django.contrib.contenttypes.models import ContentType

    from approvals.models import DirectExportSetting

    DirectExportSetting.objects.create(
        content_type=ContentType.objects.get_for_model(SubcontractorInvoice), enabled=True
    )
    make_invoice(commitment=commitment, number="5")
    twin = make_invoice(commitment=commitment, number="5", lines=[{"work_completed": "3"}])
    clean = make_invoice(commitment=commitment, number="6", lines=[{"work_completed": "4"}])
    record_send(record=twin, actor=pm)
    record_send(record=clean, actor=pm)
    assert twin.sync_status == SyncStatus.READY_TO_EXPORT
    assert clean.sync_status == SyncStatus.EXPORTING
