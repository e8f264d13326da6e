"""Every state-changing request needs the CSRF token: a POST without it to any URL of the site, by
a visitor who may otherwise use it, is refused and changes nothing."""

from contextlib import contextmanager

import pytest
from django.db import transaction

from approvals.models import AuditEvent
from tests.security.conftest import client_for
from tests.security.test_permission_matrix import POSTED, expected_roles
from tests.security.urls import named_urls, url_in_world

# Signed by QuickBooks or Xero instead, or logged in by the Web Connector's own password inside
# the SOAP call: a third party's program cannot hold our CSRF token.
SIGNED_ELSEWHERE = frozenset(
    {"quickbooks_online:webhooks", "xero:webhooks", "quickbooks_desktop:qbwc"}
)


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def most_trusted_allowed(name: str, world):
    allowed = expected_roles(name) or frozenset()
    for role in ("administrator", "approver", "project_manager"):
        if role in allowed:
            return world.users[role]
    return world.users["administrator"]


@pytest.mark.django_db
def test_no_post_is_accepted_without_the_csrf_token(world):
    events_before = AuditEvent.objects.count()
    accepted = []
    for name in sorted(set(named_urls()) - SIGNED_ELSEWHERE):
        url = url_in_world(name, world)
        data = POSTED[name](world) if name in POSTED else {}
        with rolled_back():
            client = client_for(most_trusted_allowed(name, world), enforce_csrf_checks=True)
            response = client.post(url, data)
        if response.status_code != 403:
            accepted.append(f"{name} {url}: {response.status_code}")
    assert accepted == []
    assert AuditEvent.objects.count() == events_before


@pytest.mark.django_db
def test_the_same_post_with_the_token_gets_through(world):
    """The refusal above is CSRF's: with the token, the allowed visitor's send succeeds."""
    client = client_for(world.users["project_manager"], enforce_csrf_checks=True)
    client.get(url_in_world("approvals:project_detail", world))
    token = client.cookies["csrftoken"].value
    url = url_in_world("approvals:invoices_send", world)

    response = client.post(
        url, {**POSTED["approvals:invoices_send"](world)}, HTTP_X_CSRFTOKEN=token
    )

    assert response.status_code == 302
    world.draft_invoice.refresh_from_db()
    assert world.draft_invoice.sync_status == "ready_to_export"
