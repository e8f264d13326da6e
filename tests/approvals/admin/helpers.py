"""Small steps the admin tests share: sending records, admin URLs, reading messages."""

from urllib.parse import urlencode

from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from approvals.services import record_send


def send(records, *, by):
    """Put records in the Ready to Export queue the way a project manager does."""
    for record in records:
        record_send(record=record, actor=by)
    return records


def changelist_url(model, **params) -> str:
    url = reverse(f"admin:approvals_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def decision_url(model, decision: str, records=()) -> str:
    url = reverse(f"admin:approvals_{model._meta.model_name}_{decision}")
    if records:
        url += "?" + urlencode({"ids": ",".join(str(record.pk) for record in records)})
    return url


def change_url(record) -> str:
    return reverse(f"admin:approvals_{record._meta.model_name}_change", args=[record.pk])


def action_post(records, action: str) -> dict:
    """What the changelist's action form posts for `records`."""
    return {"action": action, "_selected_action": [str(record.pk) for record in records]}


def ids_of(records) -> str:
    return ",".join(str(record.pk) for record in records)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def refreshed(record):
    record.refresh_from_db()
    return record


def run_queued_exports() -> list:
    """What the export worker does with each due export task: claim it, run it, record the result.

    The worker command itself closes its database connection, which a test transaction cannot
    survive, so its loop is repeated here with the worker's own claim and result calls.
    """
    results = []
    while task_result := DBTaskResult.objects.ready().filter(queue_name="exports").first():
        task_result.claim("admin-tests")
        value = task_result.task.call(
            *task_result.args_kwargs["args"], **task_result.args_kwargs["kwargs"]
        )
        task_result.set_successful(value)
        results.append(value)
    return results


def reviewed(records) -> dict:
    """What a decision page posts for `records`: their ids and the versions it showed."""
    versions = {
        record.pk: type(record).objects.values_list("review_version", flat=True).get(pk=record.pk)
        for record in records
    }
    return {
        "ids": ids_of(records),
        "versions": ",".join(f"{pk}:{version}" for pk, version in versions.items()),
    }
