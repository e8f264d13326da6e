from decimal import Decimal

import pytest
from django.urls import reverse

from approvals.models import JobCostTransaction
from tests.factories import make_cost_code, make_erp_connection, make_project, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


def test_members_see_actual_cost_per_cost_code_and_drill_down(client):
    project = make_project(synced=True, job_cost_sync_enabled=True)
    outsider_project = make_project(synced=True)
    code = make_cost_code(code="09-2900", name="Drywall")
    JobCostTransaction.objects.create(
        erp_connection=make_erp_connection(),
        project=project,
        txn_type="Bill",
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
