import pytest

from tests.factories import make_project, make_user


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # Production settings redirect to HTTPS; the test client speaks plain HTTP.
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def connection(erp_connection, scripted_connector):
    """An active ERP connection, so sends are not refused for want of one: the scripted ERP,
    whose connector checks records without any ERP call."""
    return erp_connection


@pytest.fixture
def pm(db):
    return make_user(role="project_manager", first_name="Pat")


@pytest.fixture
def project(pm):
    return make_project(synced=True, members=[pm], name="Riverside Clinic")


@pytest.fixture
def pm_client(client, pm):
    client.force_login(pm)
    return client


@pytest.fixture
def outsider_client(client, db):
    """A project manager who is not a member of `project`."""
    client.force_login(make_user(role="project_manager"))
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]
