import io

import pytest
from django.core import mail
from django.core.management import call_command

from approvals.models import Commitment, Company, SubcontractorInvoice
from approvals.services import export_run, record_accept, record_send
from approvals.services.workflow.vendor_updates import vendor_update_propose
from approvals.states import SyncStatus
from tests.factories import linking_connection, make_commitment, make_company, make_user

pytestmark = pytest.mark.django_db


def test_a_failed_export_notifies_the_approvers_of_that_type(
    project, pm, approver, django_capture_on_commit_callbacks
):
    invoice_only = make_user(approve=[SubcontractorInvoice], email="ivan@example.com")
    commitment_only = make_user(approve=[Commitment], email="carla@example.com")
    make_user(role="approver", email="")  # nowhere to write to
    commitment = make_commitment(project=project, number="SC-12")
    record_send(record=commitment, actor=pm)
    record_accept(record=commitment, actor=approver)

    with django_capture_on_commit_callbacks(execute=True):
        assert export_run(model_label="approvals.commitment", record_id=commitment.pk) == "failed"

    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [approver.email, commitment_only.email]
    )
    assert invoice_only.email not in [message.to[0] for message in mail.outbox]
    message = mail.outbox[0]
    assert message.subject == f"Export failed: commitment SC-12 '{commitment.title}'"
    assert "Exports to Xero are not available yet." in message.body


def test_the_digest_goes_to_each_approver_for_the_types_they_approve(project, pm, erp_connection):
    everything = make_user(role="approver", email="all@example.com")
    companies_only = make_user(approve=[Company], email="companies@example.com")
    invoices_only = make_user(approve=[SubcontractorInvoice], email="invoices@example.com")
    for _ in range(2):
        record_send(record=make_commitment(project=project), actor=pm)
    record_send(record=make_company(), actor=pm)

    call_command("erp_digest", stdout=io.StringIO())

    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {everything.email, companies_only.email}
    assert invoices_only.email not in by_recipient
    assert "Commitments: 2 waiting for a decision" in by_recipient[everything.email].body
    assert "Companies: 1 waiting for a decision" in by_recipient[everything.email].body
    assert "Commitments" not in by_recipient[companies_only.email].body
    assert by_recipient[companies_only.email].subject == "ERP approvals: 1 waiting for you"


def test_no_digest_when_nothing_waits(erp_connection):
    make_user(role="approver")
    call_command("erp_digest", stdout=io.StringIO())
    assert mail.outbox == []


def test_the_digest_counts_vendor_updates_for_those_who_decide_on_companies(erp_connection):
    companies_only = make_user(approve=[Company], email="companies@example.com")
    invoices_only = make_user(approve=[SubcontractorInvoice], email="invoices@example.com")
    company = make_company(name="Acme Drywall")
    Company.objects.filter(pk=company.pk).update(
        erp_connection=linking_connection(), sync_status=SyncStatus.SYNCED, erp_id="58"
    )
    company.refresh_from_db()
    vendor_update_propose(
        company=company,
        actor=make_user(role="administrator"),
        new_values={"phone": "555-0199"},
    )

    call_command("erp_digest", stdout=io.StringIO())

    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert invoices_only.email not in by_recipient
    assert "Vendor updates: 1 waiting for a decision" in by_recipient[companies_only.email].body
