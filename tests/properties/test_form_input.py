"""Random input to the project and company forms (and sending what they saved) gets a page or a
redirect with a message, never a server error and never a half-written record.

The commitment, change-order and invoice forms are fuzzed in tests/approvals/views/test_bad_input.py.
"""

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from approvals.models import Company, Project
from tests.factories import make_erp_connection, make_project, make_user

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ODD_TEXT = st.sampled_from(
    [
        "",
        "   ",
        "\x00",
        "Acme: Drywall",
        "Acme\tDrywall",
        "Acme\r\nDrywall",
        "Ąćmé Drywäll 株式会社 🏗️",
        "\u202eecnaniF",
        "x" * 21,
        "x" * 22,
        "x" * 255,
        "x" * 256,
        "x" * 100_000,
        "<script>alert(1)</script>",
        "Robert'); DROP TABLE approvals_company;--",
        "%s %(name)s {0}",
        "on",
        "NaN",
    ]
)
TEXT = st.one_of(ODD_TEXT, st.text(max_size=40))
MAYBE = st.one_of(st.none(), TEXT)


def posted(draw, fields) -> dict:
    data = {}
    for name in fields:
        value = draw(MAYBE)
        if value is not None:
            data[name] = value
    return data


PROJECT_FIELDS = [
    "number",
    "name",
    "address",
    "customer_name",
    "uses_standard_cost_codes",
    "job_cost_sync_enabled",
]
COMPANY_FIELDS = [
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
]


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # Production settings redirect to HTTPS; the test client speaks plain HTTP.
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def pm_client(db):
    make_erp_connection()
    pm = make_user(role="project_manager")
    client = Client()
    client.force_login(pm)
    client.project = make_project(members=[pm], number="P-100", name="Riverside Clinic")
    return client


@FUZZ
@given(data=st.data())
def test_project_forms_never_fail(pm_client, data):
    form = posted(data.draw, PROJECT_FIELDS)
    projects_before = Project.objects.count()
    project = pm_client.project

    create = pm_client.post(reverse("approvals:project_create"), form)
    edit = pm_client.post(reverse("approvals:project_edit", args=[project.pk]), form)

    assert create.status_code in {200, 302}
    assert edit.status_code in {200, 302}
    if create.status_code == 200:
        assert Project.objects.count() == projects_before
    if edit.status_code == 200:
        stored = Project.objects.get(pk=project.pk)
        assert (stored.number, stored.name) == (project.number, project.name)


@FUZZ
@given(data=st.data())
def test_company_forms_and_sending_never_fail(pm_client, data):
    form = posted(data.draw, COMPANY_FIELDS)
    # Drawn before anything is posted: what is drawn must not depend on the database's state,
    # which earlier examples change (Hypothesis replays examples and needs the same draws).
    edit_form = posted(data.draw, COMPANY_FIELDS)
    companies_before = Company.objects.count()

    create = pm_client.post(reverse("approvals:company_create"), form)

    assert create.status_code in {200, 302}
    if create.status_code == 200:
        assert Company.objects.count() == companies_before
        return
    company = Company.objects.latest("pk")
    edit = pm_client.post(reverse("approvals:company_edit", args=[company.pk]), edit_form)
    send = pm_client.post(reverse("approvals:record_action", args=["company", company.pk, "send"]))
    assert edit.status_code in {200, 302}
    assert send.status_code == 302
