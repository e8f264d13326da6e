"""Failed sign-ins are counted in the database per account and address: after five, that account
waits a growing delay at that address only, on the site's login page and on the admin's."""

from datetime import timedelta

import pytest
from django.db.models import F
from django.test import Client
from django.urls import reverse

from accounts.models import LoginThrottle
from tests.factories import make_user

pytestmark = pytest.mark.django_db

LOGIN_PAGES = [reverse("login"), reverse("admin:login")]
OFFICE, ELSEWHERE = "10.0.0.1", "10.0.0.2"
TOO_MANY = "Too many failed sign-ins for this account from your network address."


@pytest.fixture
def accountant():
    return make_user(role="approver", username="accountant")


def sign_in(page: str, password: str, *, address: str, **headers):
    """One attempt from a fresh browser, as another web worker might answer it."""
    client = Client(REMOTE_ADDR=address, **headers)
    response = client.post(page, {"username": "accountant", "password": password})
    return response, "_auth_user_id" in client.session


def fail_five_times(page: str, *, address: str, **headers) -> None:
    for _ in range(5):
        response, signed_in = sign_in(page, "wrong", address=address, **headers)
        assert response.status_code == 200 and not signed_in
        assert TOO_MANY not in response.content.decode()


def time_passes(seconds: int) -> None:
    LoginThrottle.objects.update(last_failure_at=F("last_failure_at") - timedelta(seconds=seconds))


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_after_five_failures_the_account_waits_at_that_address_only(accountant, page):
    fail_five_times(page, address=OFFICE)

    refused, signed_in = sign_in(page, "pw", address=OFFICE)
    assert refused.status_code == 200 and not signed_in
    assert f"{TOO_MANY} Please wait 30 seconds and try again." in refused.content.decode()

    _, signed_in_elsewhere = sign_in(page, "pw", address=ELSEWHERE)
    assert signed_in_elsewhere


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_the_wait_grows_with_each_further_failure_and_ends_with_a_sign_in(accountant, page):
    fail_five_times(page, address=OFFICE)
    time_passes(31)

    response, _ = sign_in(page, "still wrong", address=OFFICE)
    assert TOO_MANY not in response.content.decode()
    refused, signed_in = sign_in(page, "pw", address=OFFICE)
    assert not signed_in
    assert "Please wait 60 seconds" in refused.content.decode()

    time_passes(61)
    _, signed_in = sign_in(page, "pw", address=OFFICE)
    assert signed_in
    response, _ = sign_in(page, "wrong", address=OFFICE)
    assert TOO_MANY not in response.content.decode()


def test_behind_a_trusted_proxy_the_address_it_saw_counts_not_what_the_client_claims(
    accountant, settings
):
    settings.TRUSTED_PROXY_HOPS = 1
    page = reverse("login")
    proxy = "10.9.9.9"
    for forged in range(5):
        response, _ = sign_in(
            page, "wrong", address=proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.{forged}, {OFFICE}"
        )
        assert TOO_MANY not in response.content.decode()

    refused, signed_in = sign_in(
        page, "pw", address=proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.77, {OFFICE}"
    )
    assert not signed_in and TOO_MANY in refused.content.decode()
    _, signed_in_elsewhere = sign_in(page, "pw", address=proxy, HTTP_X_FORWARDED_FOR=ELSEWHERE)
    assert signed_in_elsewhere
