"""Migration 0018 gives every stored ERP id its connection before 0019 makes the database insist."""

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("approvals", "0017_neutral_erp_version"), ("integrations", "0002_webhook_deliveries")]
AFTER = [("approvals", "0019_erp_id_requires_its_connection")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def migrate_to_the_latest():
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.fixture(scope="module")
def schema_before(django_db_setup, django_db_blocker):
    """The database migrated back to BEFORE once for this module, and forward again after it:
    migrating backwards renders the state of every migration, tens of seconds each time."""
    if connection.vendor != "postgresql":
        yield None
        return
    with django_db_blocker.unblock():
        apps = migrate(BEFORE)
        yield apps
        migrate_to_the_latest()


@pytest.fixture
def old_schema(schema_before, transactional_db):
    """The schema as BEFORE left it. On PostgreSQL each test runs in a transaction rolled back
    after it: DDL is transactional there, so the migrations the test applies and the rows it
    writes are undone together and the next test starts from the same old schema. Foreign keys
    are checked at once, as a migration's own commit would, so that 0019 may alter the tables
    0018 has just written to."""
    if schema_before is None:
        apps = migrate(BEFORE)
        yield apps
        migrate_to_the_latest()
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        yield schema_before
        transaction.set_rollback(True)


def company_with_an_id(apps, name: str, erp_id: str):
    return apps.get_model("approvals", "Company").objects.create(name=name, erp_id=erp_id)


def test_the_only_connection_that_ever_existed_is_named(old_schema):
    connection_model = old_schema.get_model("integrations", "ERPConnection")
    only = connection_model.objects.create(kind="xero", company_id="1", is_active=False)
    linked = company_with_an_id(old_schema, "Acme", "58")
    unlinked = company_with_an_id(old_schema, "Beta", "")

    apps = migrate(AFTER)

    company = apps.get_model("approvals", "Company")
    assert company.objects.get(pk=linked.pk).erp_connection_id == only.pk
    assert company.objects.get(pk=unlinked.pk).erp_connection_id is None
    assert apps.get_model("integrations", "ERPConnection").objects.count() == 1


def test_with_several_connections_ids_are_kept_under_a_company_not_recorded(old_schema):
    connection_model = old_schema.get_model("integrations", "ERPConnection")
    connection_model.objects.create(kind="xero", company_id="1", is_active=False)
    connection_model.objects.create(kind="xero", company_id="2", is_active=True)
    linked = company_with_an_id(old_schema, "Acme", "58")

    apps = migrate(AFTER)

    company = apps.get_model("approvals", "Company").objects.get(pk=linked.pk)
    unknown = apps.get_model("integrations", "ERPConnection").objects.get(
        pk=company.erp_connection_id
    )
    assert company.erp_id == "58"
    assert (unknown.company_id, unknown.company_name, unknown.is_active) == (
        "unknown",
        "company not recorded",
        False,
    )
