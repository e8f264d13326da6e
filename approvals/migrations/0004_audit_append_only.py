"""On PostgreSQL the database itself refuses to change or delete an audit event."""

from django.db import migrations

INSTALL = """
CREATE OR REPLACE FUNCTION approvals_auditevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The audit trail is append-only: % refused on approvals_auditevent', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER approvals_auditevent_append_only
    BEFORE UPDATE OR DELETE ON approvals_auditevent
    FOR EACH ROW EXECUTE FUNCTION approvals_auditevent_refuse_change();
"""

REMOVE = """
DROP TRIGGER IF EXISTS approvals_auditevent_append_only ON approvals_auditevent;
DROP FUNCTION IF EXISTS approvals_auditevent_refuse_change();
"""


def install_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)


def remove_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REMOVE, params=None)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0003_default_groups")]

    operations = [migrations.RunPython(install_trigger, remove_trigger)]
