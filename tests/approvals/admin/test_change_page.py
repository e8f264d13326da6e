"""A record's own page: what may be edited, what is frozen, and its history."""

from approvals.models import Commitment, Exportable
from approvals.services import record_reject
from tests.approvals.admin.helpers import change_url, send
from tests.factories import (
    make_change_order,
    make_commitment,
    make_company,
    make_invoice,
    make_project,
    make_user,
)


def editable_fields(response) -> set[str]:
    return set(response.context["adminform"].form.fields)


def test_status_and_erp_fields_are_never_editable(client, project):
    client.force_login(make_user(role="administrator"))
    commitment = make_commitment(project=project)

    response = client.get(change_url(commitment))

    fields = editable_fields(response)
    assert "title" in fields and "vendor" in fields
    for frozen in (
        "sync_status",
        "erp_id",
        "erp_version",
        "sent_at",
        "decided_by",
        "erp_doc_number",
    ):
        assert frozen not in fields
    assert response.context["inline_admin_formsets"][0].has_change_permission


def test_no_field_of_the_sync_state_is_editable_on_any_record_page(client, project):
    """Retrieve and reject trust these (the look-up's answer above all): a hand edit could let a
    record be exported twice."""
    client.force_login(make_user(role="administrator"))
    records = [
        make_project(),
        make_company(),
        make_commitment(project=project),
        make_change_order(),
        make_invoice(),
    ]
    sync_state = {field.name for field in Exportable._meta.get_fields()} - {"id"}

    for record in records:
        editable = editable_fields(client.get(change_url(record)))
        assert editable & sync_state == set(), type(record).__name__
        assert {"nothing_in_erp_for_attempt", "erp_lookup_error"} <= sync_state


def test_what_the_erp_depends_on_is_frozen_once_sent(client, project, project_manager):
    client.force_login(make_user(role="administrator"))
    (commitment,) = send([make_commitment(project=project)], by=project_manager)

    response = client.get(change_url(commitment))

    fields = editable_fields(response)
    for locked in ("title", "vendor", "number", "status", "project"):
        assert locked not in fields
    lines = response.context["inline_admin_formsets"][0]
    assert not lines.has_add_permission
    assert not lines.has_change_permission
    assert not lines.has_delete_permission


def test_a_sent_record_cannot_be_deleted(client, project, project_manager):
    client.force_login(make_user(role="administrator"))
    (commitment,) = send([make_commitment(project=project)], by=project_manager)

    response = client.post(change_url(commitment).replace("/change/", "/delete/"), {"post": "yes"})

    assert response.status_code == 403
    assert Commitment.objects.filter(pk=commitment.pk).exists()


def test_the_history_lists_who_did_what_and_why(
    approver_client, approver, project, project_manager
):
    (commitment,) = send([make_commitment(project=project)], by=project_manager)
    record_reject(record=commitment, actor=approver, reason="Wrong vendor on line 1")

    response = approver_client.get(change_url(commitment))

    rows = response.context["erp_history"]
    assert [(row.actor, row.action, row.transition) for row in rows] == [
        ("Pat", "Sent to ERP", "Not sent → Ready to export"),
        ("Alice", "Rejected", "Ready to export → Rejected"),
    ]
    assert rows[1].reason == "Wrong vendor on line 1"
    assert "Wrong vendor on line 1" in response.content.decode()
