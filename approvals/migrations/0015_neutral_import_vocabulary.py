"""Imports speak no ERP's language: a cursor keeps the reader's opaque resume token, and job-cost
transactions say bill / expense / credit.

The token of an existing cursor is written in the QuickBooks Online reader's format (the only
reader so far), from the columns it replaces, so no import starts over.
"""

import json

from django.db import migrations, models

JOB_COST_TYPES = {"Bill": "bill", "Purchase": "expense", "VendorCredit": "credit"}


def cursor_tokens(apps, schema_editor):
    SyncCursor = apps.get_model("approvals", "SyncCursor")
    for cursor in SyncCursor.objects.all():
        values = {
            "since": cursor.changes_since.isoformat() if cursor.changes_since else None,
            "full_started": (
                cursor.full_read_started_at.isoformat() if cursor.full_read_started_at else None
            ),
            "position": cursor.resume_position,
        }
        token = json.dumps({name: value for name, value in values.items() if value})
        SyncCursor.objects.filter(pk=cursor.pk).update(resume_token="" if token == "{}" else token)


def neutral_job_cost_types(apps, schema_editor):
    JobCostTransaction = apps.get_model("approvals", "JobCostTransaction")
    for before, after in JOB_COST_TYPES.items():
        JobCostTransaction.objects.filter(txn_type=before).update(txn_type=after)


def erp_job_cost_types(apps, schema_editor):
    JobCostTransaction = apps.get_model("approvals", "JobCostTransaction")
    for before, after in JOB_COST_TYPES.items():
        JobCostTransaction.objects.filter(txn_type=after).update(txn_type=before)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0014_vendor_updates")]

    operations = [
        migrations.AddField(
            model_name="synccursor",
            name="resume_token",
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(cursor_tokens, migrations.RunPython.noop),
        migrations.RemoveField(model_name="synccursor", name="changes_since"),
        migrations.RemoveField(model_name="synccursor", name="full_read_started_at"),
        migrations.RemoveField(model_name="synccursor", name="resume_position"),
        migrations.AlterField(
            model_name="jobcosttransaction",
            name="txn_type",
            field=models.CharField(
                choices=[("bill", "Bill"), ("expense", "Expense"), ("credit", "Vendor credit")],
                max_length=20,
            ),
        ),
        migrations.RunPython(neutral_job_cost_types, erp_job_cost_types),
    ]
