from decimal import Decimal

import pytest

from approvals.models import (
    ChangeOrderStatus,
    CommitmentStatus,
    InvoiceStatus,
    SubcontractorInvoice,
)
from approvals.preconditions import accept_problems, send_problems
from approvals.services import PreconditionsNotMet, record_send
from integrations import registry
from integrations.models import ERPKind
from tests.factories import (
    make_change_order,
    make_commitment,
    make_company,
    make_cost_code,
    make_invoice,
    make_project,
)
from tests.registering import register_test_connector

pytestmark = pytest.mark.django_db


@pytest.fixture
def connected(erp_connection, scripted_connector):
    """The scripted ERP, connected: its connector checks records with no ERP call."""
    return erp_connection


def test_a_ready_commitment_has_no_problems(connected):
    commitment = make_commitment()
    assert send_problems(commitment) == []
    assert accept_problems(commitment) == []


def test_commitment_needs_its_project_and_vendor_in_the_erp_first(connected):
    project = make_project(number="P-100", name="Riverside Clinic")
    vendor = make_company(name="Acme Drywall")
    commitment = make_commitment(project=project, vendor=vendor)
    problems = send_problems(commitment)
    assert "Project 'P-100 Riverside Clinic' is not synced to Scripted ERP yet." in problems
    assert "Vendor 'Acme Drywall' is not linked to a Scripted ERP vendor." in problems


def test_commitment_must_be_approved_with_lines_on_standard_cost_codes(connected):
    draft = make_commitment(status=CommitmentStatus.DRAFT, number="SC-7", lines=())
    problems = send_problems(draft)
    assert "Commitment SC-7 is not approved yet (it is Draft)." in problems
    assert "Commitment SC-7 has no lines." in problems

    custom = make_cost_code(code="99-001", name="Custom", standard=False)
    commitment = make_commitment(lines=[Decimal("5.00"), (custom, Decimal("9.00"))])
    assert (
        "Line 2 uses cost code '99-001 Custom', which is not a standard Scripted ERP cost "
        "code." in send_problems(commitment)
    )


def test_projects_must_use_standard_cost_codes(connected):
    project = make_project(uses_standard_cost_codes=False)
    assert send_problems(project) == ["Integrated projects require standard cost codes."]


def test_nothing_goes_anywhere_without_a_connected_erp(db, monkeypatch):
    # This installation speaks to the scripted ERP alone, whichever ERPs are installed.
    register_test_connector(
        monkeypatch, ERPKind.XERO, "tests.approvals.scripted_connector.ScriptedConnector"
    )
    monkeypatch.setattr(registry, "ERPS", {ERPKind.XERO: registry.ERPS[ERPKind.XERO]})
    problems = send_problems(make_company(name="Acme Drywall"))
    assert problems == [
        "No accounting system is connected. "
        "An administrator can connect Xero under ERP Integrations."
    ]


def test_change_order_needs_a_synced_commitment_and_approval(connected):
    commitment = make_commitment(number="SC-9")
    change_order = make_change_order(
        commitment=commitment, number="004", status=ChangeOrderStatus.PENDING
    )
    problems = send_problems(change_order)
    assert "Commitment SC-9 is not synced to Scripted ERP yet." in problems
    assert "Change order 004 is not approved yet (it is Pending)." in problems


def test_change_order_may_not_take_a_commitment_below_zero(connected):
    commitment = make_commitment(lines=[Decimal("100.00")], number="SC-3", synced=True)
    change_order = make_change_order(
        commitment=commitment, number="001", lines=[Decimal("-100.01")]
    )
    assert "Change order 001 would bring commitment SC-3 below zero (-$0.01)." in send_problems(
        change_order
    )


def test_invoice_must_be_approved_and_not_negative(connected):
    invoice = make_invoice(
        number="1043",
        status=InvoiceStatus.UNDER_REVIEW,
        lines=[{"work_completed": "-50.00", "retainage_withheld": "0.00"}],
    )
    problems = send_problems(invoice)
    assert "Invoice 1043 is not approved yet (it is Under review)." in problems
    assert (
        "Invoice 1043 totals -$50.00; a negative invoice cannot be exported as a bill." in problems
    )


def test_invoice_needs_lines(connected):
    invoice = make_invoice(number="1044", lines=[])
    assert "Invoice 1044 has no lines." in send_problems(invoice)


def test_retainage_release_cannot_exceed_what_is_held(connected):
    commitment = make_commitment(synced=True, number="SC-5")
    make_invoice(
        commitment=commitment,
        lines=[{"work_completed": "1000.00", "retainage_withheld": "100.00"}],
    )
    release = make_invoice(
        commitment=commitment,
        number="R-1",
        lines=[],
        is_retainage_release=True,
        retainage_released=Decimal("100.01"),
    )
    assert (
        "Invoice R-1 releases $100.01 of retainage, but only $100.00 is held on commitment SC-5."
        in send_problems(release)
    )
    SubcontractorInvoice.objects.filter(pk=release.pk).update(retainage_released=Decimal("100"))
    release.refresh_from_db()
    assert send_problems(release) == []


def test_send_refuses_with_every_sentence_and_changes_nothing(connected):
    from tests.factories import make_user

    project = make_project(synced=True)
    pm = make_user(role="project_manager", projects=[project])
    commitment = make_commitment(project=project, status=CommitmentStatus.DRAFT, lines=())
    with pytest.raises(PreconditionsNotMet) as refused:
        record_send(record=commitment, actor=pm)
    assert len(refused.value.reasons) >= 2
    commitment.refresh_from_db()
    assert commitment.sync_status == "not_sent"
