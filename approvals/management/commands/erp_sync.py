"""python manage.py erp_sync {cost_codes,jobs,vendors,job_costs} [--project NUMBER]"""

from django.core.management.base import BaseCommand, CommandError

from approvals.models import Project, SyncKind
from approvals.services import erp
from approvals.services.importing.job_costs import job_costs_sync
from approvals.services.importing.sync_runs import SyncAlreadyRunning
from approvals.services.importing.sync_schedule import sync_run
from integrations.base import ERPError


class Command(BaseCommand):
    help = "Import cost codes, jobs, vendors or job costs from the connected ERP now."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=SyncKind.values)
        parser.add_argument(
            "--project",
            metavar="NUMBER",
            help="job_costs only: re-read this project's job costs in full, leaving the others.",
        )

    def handle(self, *args, kind, project=None, **options):
        connection, problem = erp.active_connection_with_problem()
        if connection is None:
            raise CommandError(problem)
        chosen = self._project(kind, project) if project is not None else None
        agent = erp.agent_imports(connection)
        if agent is not None:
            self._request_from_agent(agent, connection, kind)
            return
        self.stdout.write(f"Importing {SyncKind(kind).label.lower()} from {connection}…")
        try:
            if chosen is not None:
                summary = job_costs_sync(
                    connection=connection, project=chosen, progress=self._progress
                )
            else:
                summary = sync_run(connection=connection, kind=kind, progress=self._progress)
        except SyncAlreadyRunning as error:
            raise CommandError(error.message) from error
        except ERPError as error:
            raise CommandError(
                f"The import stopped: {error.message} Run it again to resume."
            ) from error
        for line in summary.lines():
            self.stdout.write(line)

    def _request_from_agent(self, agent, connection, kind: str) -> None:
        """Its own agent reads for this ERP when it runs: queue the reads, say when."""
        label = SyncKind(kind).label.lower()
        queued = agent.request(kind)
        said = "queued" if queued else "were already waiting"
        news = agent.state(kind).agent_news
        self.stdout.write(f"The reads of {label} from {connection} {said}. {news}")

    def _progress(self, summary) -> None:
        self.stdout.write(f"  … {summary.seen:,} read so far")

    def _project(self, kind: str, number: str) -> Project:
        if kind != SyncKind.JOB_COSTS:
            raise CommandError("--project applies to job_costs only.")
        found = Project.objects.filter(number=number).first()
        if found is None:
            raise CommandError(f"There is no project number {number}.")
        if not found.job_cost_sync_enabled:
            raise CommandError(
                f"Job-cost syncing is not enabled for project '{found}'. "
                "Enable it under ERP Integrations first."
            )
        return found
