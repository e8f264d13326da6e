"""Tasks queued before the upgrade carry the old task names; the data migration renames them so
the workers still find and run them (and renames them back when the migration is reversed)."""

from importlib import import_module

import pytest
from django.apps import apps
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

renaming = import_module("approvals.migrations.0024_tasks_named_after_their_service_runs")

pytestmark = pytest.mark.django_db


def queued(task_path: str) -> DBTaskResult:
    return DBTaskResult.objects.create(
        task_path=task_path,
        queue_name="exports",
        backend_name="default",
        priority=0,
        args_kwargs={"args": ["approvals.company", 1, 1], "kwargs": {}},
        run_after=get_date_max(),
        enqueued_at=timezone.now(),
    )


def test_tasks_queued_under_the_old_names_run_under_the_new_ones():
    old = {name: queued(name) for name in renaming.RENAMED}
    other = queued("somewhere.else.task")

    renaming.forwards(apps, None)

    for name, row in old.items():
        row.refresh_from_db()
        assert row.task_path == renaming.RENAMED[name]
        assert row.task.name  # the worker can import it
    other.refresh_from_db()
    assert other.task_path == "somewhere.else.task"

    renaming.backwards(apps, None)
    assert sorted(DBTaskResult.objects.values_list("task_path", flat=True)) == sorted(
        [*renaming.RENAMED, "somewhere.else.task"]
    )
