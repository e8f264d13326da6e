"""python manage.py erp_schedule [--loop SECONDS]: queue the imports whose interval has passed.

Run it from cron every few minutes, or once with --loop next to `manage.py db_worker`; the
imports themselves run in the worker (queue "imports"). Intervals: ERP_SYNC_INTERVAL_MINUTES.
"""

import time

from django.core.management.base import BaseCommand

from approvals.services.sync_schedule import syncs_enqueue_due


class Command(BaseCommand):
    help = "Queue every ERP import (cost codes, jobs, vendors, job costs) that is due."

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            type=float,
            metavar="SECONDS",
            help="Keep checking, this many seconds apart, until stopped.",
        )

    def handle(self, *args, loop=None, **options):
        while True:
            queued = syncs_enqueue_due()
            for label in queued:
                self.stdout.write(f"Queued: {label}")
            if not queued:
                self.stdout.write("Nothing is due.")
            if not loop:
                return
            time.sleep(loop)
