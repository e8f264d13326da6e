"""`manage.py db_worker`: django-tasks-db's worker, made to outlive a database outage.

The upstream worker exits on the first OperationalError, so a PostgreSQL restart stopped every
export until someone restarted it. This one waits for the database with back-off and resumes;
the task it was running when the connection broke (an export whose document the ERP may
already hold) is run again first, and the export's look-up before create links that document
rather than making a second one. Same name and options as upstream, so supervisors, the demo
and the tests start it as before.
"""

from __future__ import annotations

import logging

from django_tasks_db.management.commands import db_worker as upstream
from django_tasks_db.models import DBTaskResult, TaskResultStatus

from approvals.services.database_outage import DATABASE_UNREACHABLE, wait_for_database

logger = logging.getLogger(__name__)


# A task whose run hit the outage is run again once the database is back, this many times
# at most: an error that only looks like an outage must not loop for ever.
MOST_RUNS_AGAIN = 5
UNREACHABLE_PATHS = {f"{error.__module__}.{error.__qualname__}" for error in DATABASE_UNREACHABLE}


class TaskLostTheDatabase(Exception):
    """The task stopped because the database went away; its failure is not its own."""


class OutageProofWorker(upstream.Worker):
    def __init__(self, **options):
        super().__init__(**options)
        self.interrupted_task_id = None
        self.runs_again = 0

    def run(self) -> None:
        while True:
            try:
                self._finish_interrupted_task()
                return super().run()
            except (*DATABASE_UNREACHABLE, TaskLostTheDatabase) as error:
                if not self.running:
                    raise
                wait_for_database(error, process=f"worker {self.worker_id}")
                self.startup_delay = False

    def run_task(self, db_task_result: DBTaskResult) -> None:
        # Still set after the call only if the task, or recording its outcome, hit the outage.
        self.interrupted_task_id = db_task_result.pk
        super().run_task(db_task_result)
        if (
            db_task_result.status == TaskResultStatus.FAILED
            and db_task_result.exception_class_path in UNREACHABLE_PATHS
        ):
            raise TaskLostTheDatabase(db_task_result.traceback.strip().splitlines()[-1])
        self.interrupted_task_id = None
        self.runs_again = 0

    def _finish_interrupted_task(self) -> None:
        task_id, self.interrupted_task_id = self.interrupted_task_id, None
        if task_id is None:
            return
        if self.runs_again >= MOST_RUNS_AGAIN:
            logger.error(
                "Worker %s: task %s failed on the database %s times in a row; left failed.",
                self.worker_id,
                task_id,
                self.runs_again + 1,
            )
            self.runs_again = 0
            return
        task_result = DBTaskResult.objects.filter(
            pk=task_id, status__in=(TaskResultStatus.RUNNING, TaskResultStatus.FAILED)
        ).first()
        if task_result is None or task_result.worker_ids[-1:] != [self.worker_id]:
            return
        logger.warning(
            "Worker %s: running task %s again; the database went away before its outcome was "
            "recorded.",
            self.worker_id,
            task_id,
        )
        self.runs_again += 1
        self.run_task(task_result)


class Command(upstream.Command):
    help = "Run the background worker; it waits out database outages instead of exiting."

    def handle(self, *args, **options):
        # Upstream's handle builds its Worker by module name; ours takes its place for this run.
        original = upstream.Worker
        upstream.Worker = OutageProofWorker
        try:
            return super().handle(*args, **options)
        finally:
            upstream.Worker = original
