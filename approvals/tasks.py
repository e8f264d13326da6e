"""Background tasks: thin wrappers over services. Arguments are ids, never amounts."""

from django.tasks import task

from approvals.services.exporting.exports import export_run
from approvals.services.exporting.failed_exports import lookup_run
from approvals.services.exporting.vendor_update_runs import vendor_update_run

EXPORTS_QUEUE = "exports"


@task(queue_name=EXPORTS_QUEUE)
def export_record(model_label: str, record_id: int, export_attempt: int, try_number: int = 1):
    return export_run(
        model_label=model_label,
        record_id=record_id,
        export_attempt=export_attempt,
        try_number=try_number,
    )


@task(queue_name=EXPORTS_QUEUE)
def failed_export_look_up(
    model_label: str, record_id: int, export_attempt: int, try_number: int = 1
):
    return lookup_run(
        model_label=model_label,
        record_id=record_id,
        export_attempt=export_attempt,
        try_number=try_number,
    )


@task(queue_name=EXPORTS_QUEUE)
def update_vendor(update_id: int, attempt: int, try_number: int = 1):
    return vendor_update_run(update_id=update_id, attempt=attempt, try_number=try_number)
