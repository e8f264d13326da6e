"""What the admin shows of a project's members and of the ERP connection: people and record
names, never a model's raw name."""

from django.urls import reverse

from tests.factories import make_user


def test_a_project_page_names_its_members_and_the_erp_connection(client, project, erp_connection):
    make_user(role="project_manager", projects=[project], first_name="Pat", last_name="Morgan")
    client.force_login(make_user(role="superuser"))

    page = client.get(reverse("admin:approvals_project_change", args=[project.pk]))
    text = page.content.decode()

    assert f"Pat Morgan on {project}" in text
    assert "object (" not in text
    assert "Erp connection" not in text
    assert "ERP connection" in text
