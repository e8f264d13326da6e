import pytest

from integrations.quickbooks_online.client import QuickBooksClient


@pytest.fixture
def qbo(qbo_connection):
    """A client to change the sandbox company the way a bookkeeper would in QuickBooks."""
    with QuickBooksClient(qbo_connection) as client:
        yield client


@pytest.fixture
def accounts(qbo):
    """Starter accounts of the sandbox company by name: their Ids."""
    return {row["Name"]: str(row["Id"]) for row in qbo.query_all("Account")}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Give back the groups the data migration made once a transactional test emptied the tables.

    Tests here that run imports on several threads must commit; their teardown empties every
    table, and later transactional tests of the suite expect the groups to be there.
    """
    outcome = yield
    marker = item.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        _recreate_groups(item.config)
    return outcome


def _recreate_groups(config) -> None:
    from importlib import import_module

    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from pytest_django.plugin import blocking_manager_key

    with config.stash[blocking_manager_key].unblock():
        from django.contrib.auth.models import Group

        if Group.objects.exists():
            return
        apps = MigrationLoader(connection).project_state(("approvals", "0003_default_groups")).apps
        import_module("approvals.migrations.0003_default_groups").create_groups(
            apps, schema_editor=None
        )
