"""Background tasks, each named after the service run it wraps. Arguments are ids, never amounts."""

from django.tasks import task

from approvals.services.exporting import exports, failed_exports, vendor_update_runs

EXPORTS_QUEUE = "exports"


@task(queue_name=EXPORTS_QUEUE)
def export_run(model_label: str, record_id: int, export_attempt: int, try_number: int = 1):
    return exports.export_run(
        model_label=model_label,
        record_id=record_id,
        export_attempt=export_attempt,
        try_number=try_number,
    )


@task(queue_name=EXPORTS_QUEUE)
def lookup_run(model_label: str, record_id: int, export_attempt: int, try_number: int = 1):
    return failed_exports.lookup_run(
        model_label=model_label,
        record_id=record_id,
        export_attempt=export_attempt,
        try_number=try_number,
    )


@task(queue_name=EXPORTS_QUEUE)
def vendor_update_run(update_id: int, attempt: int, try_number: int = 1):
    return vendor_update_runs.vendor_update_run(
        update_id=update_id, attempt=attempt, try_number=try_number
    )
