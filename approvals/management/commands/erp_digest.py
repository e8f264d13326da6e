"""Email each approver what waits for them. Run it daily from cron, e.g.
`0 7 * * 1-5 python manage.py erp_digest`."""

from django.core.management.base import BaseCommand

from approvals.notifications import approvers_digest_send


class Command(BaseCommand):
    help = "Send approvers the daily summary of records waiting in the ERP Integrations queue."

    def handle(self, *args, **options):
        sent = approvers_digest_send()
        self.stdout.write(f"Sent {sent} digest email{'s' if sent != 1 else ''}.")
