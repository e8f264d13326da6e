"""QuickBooks Desktop's imports as the workflow asks for them: "Sync now" and the import
schedule queue the reads, and the Web Connector does them when it next runs (its answers come
in through approvals.inbound, see outbox.py and job_cost_reads.py). Pages say so, with when
the Web Connector last ran."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.timesince import timesince

from approvals.models import SyncKind
from integrations.data import QueuedImport
from integrations.models import ERPConnection
from integrations.quickbooks_desktop import job_cost_reads, outbox, reads, service
from integrations.quickbooks_desktop.models import DesktopConnection, RequestState, SessionState


def operations_of(kind: str) -> tuple[str, ...]:
    if kind == SyncKind.JOB_COSTS:
        return job_cost_reads.OPERATIONS
    return tuple(operation for operation, _purpose, of in outbox.LIST_READS if of == kind)


NOT_SET_UP = (
    "The Web Connector is not set up for this company yet: an administrator sets it up under "
    "ERP Integrations, QuickBooks Desktop connections."
)


class WebConnectorImports:
    def __init__(self, connection: ERPConnection):
        self.connection = connection
        self.desktop = DesktopConnection.objects.filter(connection=connection).first()

    def request(self, kind: str) -> bool:
        if self.desktop is None:
            return False
        if kind == SyncKind.JOB_COSTS:
            return job_cost_reads.queue(self.desktop) > 0
        return outbox.list_reads_queue(self.desktop, kinds=(kind,)) > 0

    def state(self, kind: str) -> QueuedImport:
        if self.desktop is None:
            return QueuedImport(None, None, NOT_SET_UP)
        waiting = self.desktop.requests.filter(
            state__in=reads.WAITING, operation__in=operations_of(kind)
        )
        if not waiting.exists():
            return QueuedImport(None, None, self.agent_news())
        since = self._read_started(kind) or waiting.order_by("queued_at")[0].queued_at
        running = self.desktop.sessions.filter(
            state=SessionState.OPEN,
            last_call_at__gte=timezone.now() - timedelta(seconds=service.busy_seconds()),
        ).first()
        being_read = running is not None and (
            waiting.filter(state=RequestState.READING).exists()
            or running.exchanges.filter(request__operation__in=operations_of(kind)).exists()
        )
        return QueuedImport(
            waiting_since=since,
            reading_since=running.started_at if being_read else None,
            agent_news=self.agent_news(),
        )

    def _read_started(self, kind: str):
        """A job-cost read queues its queries one after the other: it waits since its first."""
        if kind != SyncKind.JOB_COSTS:
            return None
        return (
            self.desktop.requests.filter(operation=job_cost_reads.OPERATIONS[0])
            .order_by("-queued_at")
            .values_list("queued_at", flat=True)
            .first()
        )

    def agent_news(self) -> str:
        last = self.desktop.last_contact_at
        if last is None:
            return (
                "The Web Connector does it when it next runs; it has not run yet for this company."
            )
        now = timezone.now()
        ago = "less than a minute" if now - last < timedelta(minutes=1) else timesince(last, now)
        return (
            f"The Web Connector does it when it next runs; it last ran {ago} ago "
            f"(it runs every {self.desktop.run_every_minutes} minutes once its Auto-Run is on)."
        )
