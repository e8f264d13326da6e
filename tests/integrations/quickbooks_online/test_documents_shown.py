"""The decision pages show each record as QuickBooks Online will receive it, from local data.

No sandbox runs here: describing a record must not need QuickBooks, and the approval of what
was shown holds until the export (a cost code re-linked meanwhile is refused, naming it). (The
pages themselves, with any ERP, are tested in tests/approvals/admin/test_documents_shown.py.)
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals.models import Commitment, CommitmentLine, CostCode, SubcontractorInvoice
from approvals.services import record_accept
from approvals.services.exporting.exports import export_run
from approvals.services.workflow.descriptions import documents_described
from approvals.states import SyncStatus
from tests.approvals.admin.helpers import decision_url, refreshed, send
from tests.factories import (
    make_commitment,
    make_company,
    make_cost_code,
    make_erp_connection,
    make_invoice,
    make_project,
    make_user,
)


@pytest.fixture
def project(db):
    # Checking and describing a record for QuickBooks needs no HTTP: no sandbox is started.
    make_erp_connection()
    return make_project(synced=True)


@pytest.fixture
def project_manager(project):
    return make_user(role="project_manager", projects=[project], first_name="Pat")


@pytest.fixture
def approver(db):
    return make_user(role="approver", username="alice", first_name="Alice")


@pytest.fixture
def approver_client(client, approver):
    client.force_login(approver)
    return client


def test_the_accept_page_shows_each_document_escaped_and_to_the_cent(
    approver_client, project, project_manager
):
    vendor = make_company(name="Acme <Drywall>", synced=True)
    code = make_cost_code(code="09-2900", name="Gypsum board")
    commitment = make_commitment(
        project=project, vendor=vendor, number="SC-7", lines=[(code, "1234.565")]
    )
    CommitmentLine.objects.filter(commitment=commitment).update(description="<b>Board</b>\nlevel 2")
    send([commitment], by=project_manager)

    page = approver_client.get(decision_url(Commitment, "accept", [commitment])).content.decode()

    assert "What QuickBooks Online receives" in page
    assert "QuickBooks Online purchase order" in page
    assert f"Acme &lt;Drywall&gt; (id {vendor.erp_id})" in page
    assert "&lt;b&gt;Board&lt;/b&gt;<br>level 2" in page
    assert "<b>Board</b>" not in page
    assert f"09-2900 Gypsum board (id {code.erp_id})" in page
    assert page.count("$1,234.57") == 2  # the line and the total, rounded half up to the cent


def test_the_retry_page_shows_the_approved_document_and_the_last_export_error(
    approver_client, approver, project, project_manager
):
    code = make_cost_code(code="09-2900", name="Gypsum board")
    (commitment,) = send(
        [make_commitment(project=project, lines=[(code, "500.00")])], by=project_manager
    )
    record_accept(record=commitment, actor=approver)
    approved_item = code.erp_id
    CostCode.objects.filter(pk=code.pk).update(erp_id="990")  # re-linked since
    Commitment.objects.filter(pk=commitment.pk).update(
        sync_status=SyncStatus.EXPORT_FAILED, last_export_error="Vendor <Acme> is inactive."
    )

    page = approver_client.get(decision_url(Commitment, "retry", [commitment])).content.decode()

    assert "Last export error: Vendor &lt;Acme&gt; is inactive." in page
    assert f"09-2900 Gypsum board (id {approved_item})" in page
    assert "(id 990)" not in page


def test_a_cost_code_relinked_after_the_accept_is_refused_in_the_descriptions_words(
    approver, project, project_manager
):
    code = make_cost_code(code="09-2900", name="Gypsum board")
    (commitment,) = send(
        [make_commitment(project=project, lines=[(code, "500.00")])], by=project_manager
    )
    record_accept(record=commitment, actor=approver)
    CostCode.objects.filter(pk=code.pk).update(erp_id="990")

    outcome = export_run(model_label="approvals.commitment", record_id=commitment.pk)

    commitment = refreshed(commitment)
    assert outcome == "failed: changed since approved"
    assert commitment.sync_status == SyncStatus.EXPORT_FAILED
    assert (
        f"Line 1 item or account: '09-2900 Gypsum board (id {code.erp_id})' → "
        "'09-2900 Gypsum board (id 990)'"
    ) in commitment.last_export_error


def queries_describing(model, records) -> int:
    with CaptureQueriesContext(connection) as captured:
        documents_described(model, [record.pk for record in records])
    return len(captured)


def test_describing_many_records_takes_as_many_queries_as_describing_one(project):
    commitment = make_commitment(
        project=project, lines=[Decimal("600.00"), Decimal("400.00")], synced=True
    )
    invoices = [
        make_invoice(
            commitment=commitment,
            lines=[{"work_completed": "100.00"}, {"work_completed": "50.00"}],
        )
        for _ in range(5)
    ]
    commitments = [make_commitment(project=project, lines=["1.00"] * 4) for _ in range(5)]

    assert queries_describing(SubcontractorInvoice, invoices) == queries_describing(
        SubcontractorInvoice, invoices[:1]
    )
    assert queries_describing(Commitment, commitments) == queries_describing(
        Commitment, commitments[:1]
    )
