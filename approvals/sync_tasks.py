"""Background imports from the ERP, named after the sync service run they wrap."""

import logging

from django.tasks import task

from approvals.services.importing import sync_schedule
from approvals.services.importing.sync_runs import SyncAlreadyRunning
from integrations.base import NotConnectedError, TransientERPError
from integrations.models import ERPConnection

IMPORTS_QUEUE = "imports"
logger = logging.getLogger(__name__)


@task(queue_name=IMPORTS_QUEUE)
def sync_run(kind: str, connection_id: int, try_number: int = 1) -> dict:
    connection = ERPConnection.objects.filter(pk=connection_id, is_active=True).first()
    if connection is None:
        return {"kind": kind, "skipped": "the connection is no longer active"}
    try:
        return sync_schedule.sync_run(connection=connection, kind=kind).as_dict()
    except SyncAlreadyRunning as error:
        logger.info("%s", error.message)
        return {"kind": kind, "skipped": error.message}
    except NotConnectedError as error:
        # Waits for an administrator to reconnect; the sync panel shows the cursor's last error.
        logger.warning("The %s import did not run: %s", kind, error.message)
        return {"kind": kind, "skipped": error.message}
    except TransientERPError as error:
        # The client tries each call once; the run is queued again and resumes where it stopped.
        logger.warning("The %s import stopped: %s", kind, error.message)
        again = sync_schedule.sync_request_again(
            connection=connection, kind=kind, error=error, try_number=try_number
        )
        return {"kind": kind, "stopped": error.message, "next": again}
