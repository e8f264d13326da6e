"""python manage.py erp_schedule [--loop SECONDS]: queue the imports whose interval has passed,
re-queue exports left behind by a worker that died mid-export, and queue overdue look-ups of
failed exports.

Run it from cron every few minutes, or once with --loop next to `manage.py db_worker`; the
imports themselves run in the worker (queue "imports"). Intervals: ERP_SYNC_INTERVAL_MINUTES.
With --loop it outlives a database outage: it waits for the database and carries on.
"""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from approvals.services import exports_recover_stuck
from approvals.services.database_outage import DATABASE_UNREACHABLE, wait_for_database
from approvals.services.exporting.failed_exports import lookups_recover_stuck
from approvals.services.exporting.vendor_update_runs import vendor_updates_recover_stuck
from approvals.services.importing.sync_schedule import syncs_enqueue_due


class Command(BaseCommand):
    help = (
        "Queue every ERP import (cost codes, jobs, vendors, job costs) that is due, and "
        "re-queue stuck exports."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            type=float,
            metavar="SECONDS",
            help="Keep checking, this many seconds apart, until stopped.",
        )
        parser.add_argument(
            "--recover-after",
            type=int,
            default=15,
            metavar="MINUTES",
            help="Re-queue exports that have been exporting this long (default 15).",
        )

    def handle(self, *args, loop=None, recover_after, **options):
        if recover_after < 1:
            raise CommandError("--recover-after must be at least 1 minute.")
        while True:
            try:
                self._run_once(stuck_after=timedelta(minutes=recover_after))
            except DATABASE_UNREACHABLE as error:
                if not loop:
                    raise CommandError(
                        f"The database could not be reached, so nothing was queued: {error}"
                    ) from error
                wait_for_database(error, process="erp_schedule")
                continue
            if not loop:
                return
            time.sleep(loop)

    def _run_once(self, *, stuck_after: timedelta) -> None:
        queued = syncs_enqueue_due()
        for label in queued:
            self.stdout.write(f"Queued: {label}")
        if not queued:
            self.stdout.write("Nothing is due.")
        requeued = exports_recover_stuck(older_than=stuck_after)
        if requeued:
            self.stdout.write(f"Re-queued {requeued} stuck export{'s' if requeued != 1 else ''}.")
        looked_up = lookups_recover_stuck(older_than=stuck_after)
        if looked_up:
            self.stdout.write(
                f"Queued the look-up of {looked_up} failed export{'s' if looked_up != 1 else ''}."
            )
        updates = vendor_updates_recover_stuck(older_than=stuck_after)
        if updates:
            self.stdout.write(
                f"Re-queued {updates} stuck vendor update{'s' if updates != 1 else ''}."
            )
