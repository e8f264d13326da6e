"""The "Switching accounting systems" page, without an ERP: who may use it, what it shows, and
what a confirmation made on a page left open does once others changed the records."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from approvals.models import AuditEvent, Company, CostCode, ERPCostCode, ERPVendor, Project
from approvals.preconditions import send_problems
from approvals.states import Action, SyncStatus
from integrations.models import ERPConnection, ERPKind
from tests.factories import (
    make_commitment,
    make_company,
    make_cost_code,
    make_erp_connection,
    make_user,
)

pytestmark = pytest.mark.django_db

URL = reverse("admin:approvals_switching")


@pytest.fixture
def old_connection(erp_connection):
    """The company the records were linked to, disconnected; another one connected."""
    ERPConnection.objects.filter(pk=erp_connection.pk).update(
        is_active=False, company_name="Old <b>Books</b> & Co"
    )
    return ERPConnection.objects.get(pk=erp_connection.pk)


@pytest.fixture
def new_connection(old_connection):
    return make_erp_connection(kind=ERPKind.XERO, company_name="New Books Inc")


@pytest.fixture
def administrator(db):
    return make_user(role="administrator", username="ada", first_name="Ada")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def linked_to_old(old_connection, new_connection, project):
    vendor = make_company(name="Acme <script>alert(1)</script> Drywall", synced=True)
    Company.objects.filter(pk=vendor.pk).update(erp_connection=old_connection)
    codes = [make_cost_code(code=f"09-{n}00", erp_connection=old_connection) for n in (1, 2)]
    commitment = make_commitment(project=project, vendor=Company.objects.get(pk=vendor.pk))
    return Company.objects.get(pk=vendor.pk), codes, commitment


def unlink(client, slug, old_connection, expected):
    return client.post(
        URL,
        {
            "action": "unlink",
            "type": slug,
            "from": old_connection.pk,
            "expected": expected,
            "confirmed": "yes",
        },
        follow=True,
    )


def test_only_administrators_reach_the_page(approver, project_manager, administrator):
    assert signed_in(approver).get(URL).status_code == 403
    assert signed_in(approver).post(URL, {"action": "unlink"}).status_code == 403
    # Not staff: the admin sends them to its login page.
    assert signed_in(project_manager).get(URL).status_code == 302
    assert signed_in(administrator).get(URL).status_code == 200


def test_an_unknown_type_or_connection_is_not_found(administrator, old_connection):
    client = signed_in(administrator)
    assert client.get(URL, {"confirm": "unlink", "type": "user", "from": 1}).status_code == 404
    assert (
        client.get(URL, {"confirm": "unlink", "type": "company", "from": "1 OR 1=1"}).status_code
        == 404
    )
    assert client.post(URL, {"action": "drop", "type": "company"}).status_code == 404


def test_the_page_counts_per_type_and_escapes_names(
    administrator, old_connection, new_connection, project
):
    linked_to_old(old_connection, new_connection, project)
    # The project too was synced through the old company.
    Project.objects.filter(pk=project.pk).update(erp_connection=old_connection)

    page = signed_in(administrator).get(URL).content.decode()

    old = "Old &lt;b&gt;Books&lt;/b&gt; &amp; Co"
    assert f"({old})</td><td>1</td>" in page
    assert f"({old})</td><td>2</td>" in page
    assert "<b>Books</b>" not in page
    confirm = signed_in(administrator).get(
        URL, {"confirm": "relink", "type": "company", "from": old_connection.pk}
    )
    assert "<script>alert(1)</script>" not in confirm.content.decode()


def test_the_vendor_page_and_the_send_say_where_it_is_linked(
    administrator, project_manager, old_connection, new_connection, project
):
    vendor, _, commitment = linked_to_old(old_connection, new_connection, project)

    problems = send_problems(commitment)

    assert (
        "Vendor 'Acme <script>alert(1)</script> Drywall' is linked to Xero "
        "(Old <b>Books</b> & Co), not the connected Xero (New Books Inc): re-link "
        "or unlink it under ERP Integrations → Switching accounting systems."
    ) in problems
    page = signed_in(administrator).get(reverse("admin:approvals_company_change", args=[vendor.pk]))
    text = page.content.decode()
    assert "Linked to Xero (Old &lt;b&gt;Books&lt;/b&gt; &amp; Co), not the" in text
    assert "<script>alert(1)</script>" not in text
    # The project manager's page says it too, in the sync panel.
    panel = signed_in(project_manager).get(reverse("approvals:company_detail", args=[vendor.pk]))
    assert (
        'id="erp-elsewhere"><strong>Linked to Xero (Old &lt;b&gt;Books&lt;/b&gt; '
        "&amp; Co), not the connected Xero (New Books Inc).</strong>"
    ) in panel.content.decode()


def test_unlinking_cost_codes_is_one_update_with_one_event_each(
    administrator, old_connection, new_connection, project
):
    _, codes, _ = linked_to_old(old_connection, new_connection, project)

    response = unlink(signed_in(administrator), "costcode", old_connection, 2)

    assert "2 cost codes unlinked" in response.content.decode()
    for code in CostCode.objects.filter(pk__in=[c.pk for c in codes]):
        assert (code.erp_id, code.erp_connection_id, code.is_standard) == ("", None, False)
    events = AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(CostCode), action=Action.UNLINK
    )
    assert sorted(events.values_list("object_id", flat=True)) == sorted(c.pk for c in codes)
    assert all(event.actor == administrator for event in events)


def test_an_unlink_confirmed_on_a_page_left_open_changes_nothing(
    administrator, old_connection, new_connection, project
):
    linked_to_old(old_connection, new_connection, project)
    third = make_company(name="Third Vendor", synced=True)
    Company.objects.filter(pk=third.pk).update(erp_connection=old_connection)
    # The page showed one company; another was linked to the old company meanwhile (a page
    # left open across a data fix): the confirmation no longer says what would be done.

    response = unlink(signed_in(administrator), "company", old_connection, 1)

    text = response.content.decode()
    assert "The page showed 1 company to be unlinked; 2 are linked there now" in text
    assert "so none was unlinked. Reload the page and confirm again." in text
    assert Company.objects.filter(erp_connection=old_connection).count() == 2
    assert not AuditEvent.objects.filter(action=Action.UNLINK).exists()


def test_an_unlink_after_someone_else_unlinked_says_who(
    administrator, old_connection, new_connection, project
):
    linked_to_old(old_connection, new_connection, project)
    bob = make_user(role="administrator", username="bob", first_name="Bob")
    unlink(signed_in(bob), "company", old_connection, 1)

    response = unlink(signed_in(administrator), "company", old_connection, 1)

    text = response.content.decode()
    assert "The page showed 1 company to be unlinked; 0 are linked there now (Bob unlinked " in text
    assert AuditEvent.objects.filter(action=Action.UNLINK).count() == 1


def test_a_relink_confirmed_after_someone_else_unlinked_changes_nothing(
    administrator, old_connection, new_connection, project
):
    vendor, _, _ = linked_to_old(old_connection, new_connection, project)
    Company.objects.filter(pk=vendor.pk).update(name="Acme Drywall")
    ERPVendor.objects.create(
        erp_connection=new_connection, erp_id="900", display_name="Acme Drywall"
    )
    client = signed_in(administrator)
    shown = client.get(URL, {"confirm": "relink", "type": "company", "from": old_connection.pk})
    keys = [pair.key for pair in shown.context["confirming"]["pairs"]]
    assert keys == [f"{vendor.pk}:900"]
    unlink(signed_in(make_user(role="administrator", username="bob")), "company", old_connection, 1)

    response = client.post(
        URL,
        {
            "action": "relink",
            "type": "company",
            "from": old_connection.pk,
            "confirmed": "yes",
            "pair": keys,
        },
        follow=True,
    )

    assert "1 of the 1 pairs you confirmed changed since the page was shown" in (
        response.content.decode()
    )
    vendor.refresh_from_db()
    assert (vendor.erp_id, vendor.sync_status) == ("", SyncStatus.NOT_SENT)
    assert not AuditEvent.objects.filter(action=Action.LINK).exists()


def test_cost_codes_relink_by_code_and_an_ambiguous_one_is_left(
    administrator, old_connection, new_connection, project
):
    _, codes, _ = linked_to_old(old_connection, new_connection, project)
    ERPCostCode.objects.create(erp_connection=new_connection, erp_id="51", code="09-100")
    ERPCostCode.objects.create(erp_connection=new_connection, erp_id="52", code="09-200")
    ERPCostCode.objects.create(erp_connection=new_connection, erp_id="53", code="09-200")
    client = signed_in(administrator)

    shown = client.get(URL, {"confirm": "relink", "type": "costcode", "from": old_connection.pk})
    keys = [pair.key for pair in shown.context["confirming"]["pairs"]]
    assert keys == [f"{codes[0].pk}:51"]
    client.post(
        URL,
        {
            "action": "relink",
            "type": "costcode",
            "from": old_connection.pk,
            "confirmed": "yes",
            "pair": keys,
        },
    )

    relinked, left = CostCode.objects.get(pk=codes[0].pk), CostCode.objects.get(pk=codes[1].pk)
    assert (relinked.erp_connection_id, relinked.erp_id) == (new_connection.pk, "51")
    assert left.erp_connection_id == old_connection.pk
    [event] = AuditEvent.objects.filter(action=Action.LINK)
    assert event.object_id == codes[0].pk


def test_transactions_are_not_relinked(administrator, old_connection, new_connection, project):
    _, _, commitment = linked_to_old(old_connection, new_connection, project)
    from approvals.models import Commitment

    Commitment.objects.filter(pk=commitment.pk).update(
        erp_connection=old_connection, erp_id="870", sync_status=SyncStatus.SYNCED
    )

    response = signed_in(administrator).post(
        URL,
        {
            "action": "relink",
            "type": "commitment",
            "from": old_connection.pk,
            "confirmed": "yes",
            "pair": [f"{commitment.pk}:1"],
        },
        follow=True,
    )

    assert "Commitments are not re-linked: their documents live in the old company" in (
        response.content.decode()
    )
    assert Commitment.objects.get(pk=commitment.pk).erp_id == "870"
