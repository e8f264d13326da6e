"""The background tasks are renamed after the service runs they wrap; tasks queued before the
upgrade carry the old names in their rows and would no longer be found by the workers."""

from django.db import migrations

RENAMED = {
    "approvals.tasks.export_record": "approvals.tasks.export_run",
    "approvals.tasks.failed_export_look_up": "approvals.tasks.lookup_run",
    "approvals.tasks.update_vendor": "approvals.tasks.vendor_update_run",
    "approvals.sync_tasks.erp_sync": "approvals.sync_tasks.sync_run",
}


def rename(apps, schema_editor, names):
    task_results = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in names.items():
        task_results.objects.filter(task_path=old).update(task_path=new)


def forwards(apps, schema_editor):
    rename(apps, schema_editor, RENAMED)


def backwards(apps, schema_editor):
    rename(apps, schema_editor, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0023_xero_suppliers_and_line_ids"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
