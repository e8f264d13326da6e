from decimal import Decimal

import pytest
from django.urls import reverse

from approvals.models import JobCostTransaction
from tests.factories import make_cost_code, make_project, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


def test_members_see_actual_cost_per_cost_code_and_drill_down(client, erp_connection):
    project = make_project(synced=True, job_cost_sync_enabled=True)
    outsider_project = make_project(synced=True)
    code = make_cost_code(code="09-2900", name="Drywall")
    JobCostTransaction.objects.create(
        erp_connection=erp_connection,
        project=project,
        txn_type="bill",
        txn_id="41",
        line_id="1",
        doc_number="B-77",
        vendor_name="Acme Drywall",
        cost_code=code,
        amount=Decimal("1234.50"),
    )
    member = make_user(role="project_manager", projects=[project])
    client.force_login(member)
    page = client.get(reverse("approvals:project_job_costs", args=[project.pk]))
    assert page.status_code == 200
    assert "09-2900 Drywall" in page.content.decode() and "1,234.50" in page.content.decode()
    detail = client.get(
        reverse("approvals:project_job_costs", args=[project.pk]), {"cost_code": code.pk}
    )
    assert "B-77" in detail.content.decode()
    hidden = client.get(reverse("approvals:project_job_costs", args=[outsider_project.pk]))
    assert hidden.status_code == 404


def test_invoiced_counts_what_reached_the_books_and_the_drill_down_names_everything(client):
    from approvals.models import SubcontractorInvoice
    from approvals.states import SyncStatus
    from tests.factories import make_commitment, make_invoice

    project = make_project(synced=True)
    code = make_cost_code(code="03-300", name="Concrete")
    commitment = make_commitment(
        project=project, synced=True, lines=[(code, Decimal("50000.00"))], number="SC-77"
    )
    synced = make_invoice(
        commitment=commitment, number="KC-1", lines=[{"work_completed": "1000.00"}]
    )
    waiting = make_invoice(
        commitment=commitment, number="KC-2", lines=[{"work_completed": "250.00"}]
    )
    SubcontractorInvoice.objects.filter(pk=synced.pk).update(sync_status=SyncStatus.SYNCED)
    SubcontractorInvoice.objects.filter(pk=waiting.pk).update(
        sync_status=SyncStatus.READY_TO_EXPORT
    )
    make_invoice(commitment=commitment, number="KC-3", lines=[{"work_completed": "99.00"}])
    client.force_login(make_user(role="project_manager", projects=[project]))

    page = client.get(reverse("approvals:project_job_costs", args=[project.pk])).content.decode()
    table = page[page.index('id="job-costs"') :]
    row = table[table.index("03-300 Concrete") :].split("</tr>")[0]
    assert "$50,000.00" in row and "$1,000.00" in row and "$250.00" in row
    assert "99.00" not in row  # not sent: not invoiced to anyone yet

    detail = client.get(
        reverse("approvals:project_job_costs", args=[project.pk]), {"cost_code": code.pk}
    ).content.decode()
    assert '<h2 id="detail-heading">Cost code 03-300 Concrete</h2>' in detail
    assert "SC-77" in detail and "KC-1" in detail and "KC-2" in detail and "KC-3" not in detail
