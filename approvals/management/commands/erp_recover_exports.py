"""Re-queue exports stuck in 'exporting' (a worker died mid-export), and the overdue look-ups
of failed exports.

Run it every few minutes from cron, e.g. `*/5 * * * * python manage.py erp_recover_exports`.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand

from approvals.services import exports_recover_stuck
from approvals.services.exporting.failed_exports import lookups_recover_stuck


class Command(BaseCommand):
    help = "Re-queue exports that have been 'exporting' for longer than --minutes (default 15)."

    def add_arguments(self, parser):
        parser.add_argument("--minutes", type=int, default=15)

    def handle(self, *args, minutes, **options):
        if minutes < 1:
            self.stderr.write("--minutes must be at least 1.")
            return
        requeued = exports_recover_stuck(older_than=timedelta(minutes=minutes))
        self.stdout.write(f"Re-queued {requeued} stuck export{'s' if requeued != 1 else ''}.")
        looked_up = lookups_recover_stuck(older_than=timedelta(minutes=minutes))
        if looked_up:
            self.stdout.write(
                f"Queued the look-up of {looked_up} failed export{'s' if looked_up != 1 else ''}."
            )
