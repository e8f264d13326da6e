"""Jobs from the ERP ⇄ projects: keep the job list, add a job as a project, link, enable costs.

"Ready to import" lists active ERP jobs no project is linked to. Adding one creates the project
already 'synced' (an IMPORT audit event). A project and a job that both exist are never merged
silently: adding is refused with what to do, and linking needs an unsynced project on the
standard cost codes and an explicit confirmation.
"""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from approvals import permissions
from approvals.models import (
    AuditEvent,
    ERPCustomer,
    ERPJob,
    Project,
    ProjectMembership,
    SyncKind,
)
from approvals.preconditions import STANDARD_COST_CODES_REQUIRED
from approvals.services.importing import sync_runs
from approvals.services.importing.imported_lists import imported_rows_store
from approvals.services.workflow.audit import AuditEntry, audit_write
from approvals.services.workflow.errors import NotPermitted, PreconditionsNotMet
from approvals.services.workflow.matching import normalise_name
from approvals.services.workflow.transitions import record_transition, records_import
from approvals.states import Action, Note, SyncStatus
from integrations.data import ImportedCustomer, ImportedJob
from integrations.models import ERPConnection

JOB_FIELDS = (
    "erp_version",
    "display_name",
    "fully_qualified_name",
    "parent_erp_id",
    "parent_name",
    "address",
    "is_active",
)
NUMBER_LENGTH = Project._meta.get_field("number").max_length
_LEADING_NUMBER = re.compile(
    r"^\s*(?P<number>[A-Za-z]{0,4}[-#]?\d[\w\-.]{0,25})\s+[-\u2013:]?\s*\S"
)


def jobs_sync(*, connection: ERPConnection, progress=None) -> sync_runs.SyncSummary:
    """Bring the ERP's job list, and the customers a new job may go under, up to date."""
    return sync_runs.list_sync(
        connection=connection,
        kind=SyncKind.JOBS,
        progress=progress,
        batches=lambda reader, token: reader.job_batches(token),
        store=lambda rows, summary: _store(connection, rows, summary),
        gone=lambda listed, summary: _jobs_gone(connection, listed, summary),
    )


def _jobs_gone(connection: ERPConnection, listed: set[str], summary) -> None:
    """Jobs the ERP no longer lists (deleted there) are inactive: no longer ready to import."""
    summary.updated += (
        ERPJob.objects.filter(erp_connection=connection, is_active=True)
        .exclude(erp_id__in=listed)
        .update(is_active=False)
    )


def _store(connection: ERPConnection, rows: list, summary) -> None:
    jobs_store(
        connection=connection,
        jobs=[row for row in rows if isinstance(row, ImportedJob)],
        summary=summary,
    )
    customers_store(
        connection=connection,
        customers=[row for row in rows if isinstance(row, ImportedCustomer)],
    )


def customers_store(*, connection: ERPConnection, customers: list) -> None:
    """The top-level customers a project's job may be created under (chosen at accept)."""
    if customers:
        ERPCustomer.objects.bulk_create(
            [
                ERPCustomer(
                    erp_connection=connection,
                    erp_id=customer.erp_id,
                    display_name=customer.display_name,
                    is_active=customer.is_active,
                )
                for customer in {customer.erp_id: customer for customer in customers}.values()
            ],
            update_conflicts=True,
            unique_fields=["erp_connection", "erp_id"],
            update_fields=["display_name", "is_active", "seen_at"],
        )


def jobs_store(*, connection: ERPConnection, jobs: list, summary) -> None:
    latest = {job.erp_id: job for job in jobs}
    written = imported_rows_store(
        ERPJob,
        connection=connection,
        rows={erp_id: _job_values(job) for erp_id, job in latest.items()},
        fields=JOB_FIELDS,
        summary=summary,
    )
    for job in (latest[erp_id] for erp_id in written.ids):
        Project.objects.filter(erp_connection=connection, erp_id=job.erp_id).update(
            erp_version=job.version
        )


def _job_values(job) -> dict:
    return {
        "erp_version": job.version,
        "display_name": job.display_name,
        "fully_qualified_name": job.fully_qualified_name,
        "parent_erp_id": job.parent_erp_id,
        "parent_name": job.parent_name,
        "address": job.address,
        "is_active": job.is_active,
    }


def jobs_ready_to_import(*, connection: ERPConnection) -> QuerySet[ERPJob]:
    """Active ERP jobs with no project here, that no accountant archived."""
    linked = Project.objects.filter(erp_connection=connection).exclude(erp_id="").values("erp_id")
    return (
        ERPJob.objects.filter(erp_connection=connection, is_active=True, is_archived=False)
        .exclude(erp_id__in=linked)
        .order_by("display_name", "pk")
    )


def one_line(text: str) -> str:
    """An ERP name as our single-line fields hold it: line breaks and runs of spaces made one."""
    return " ".join((text or "").split())


def project_number_and_name(job: ERPJob) -> tuple[str, str]:
    """The job's own number and the rest of its name ("P-104 Riverside Clinic" → "P-104",
    "Riverside Clinic": how an exported project's job is named), else its name as both, the
    number cut to the 30 characters it holds: what the team calls the job, never the ERP's id."""
    name = one_line(job.display_name)
    found = _LEADING_NUMBER.match(name)
    if found is None:
        return name[:NUMBER_LENGTH].strip(), name
    return found["number"], name[found.end("number") :].lstrip(" -\u2013:")


def project_number_for(job: ERPJob) -> str:
    return project_number_and_name(job)[0]


def existing_projects_like(job: ERPJob) -> list[Project]:
    """Projects here that may be the same as the job: same number, or same name."""
    number = project_number_for(job)
    name = one_line(job.display_name)
    key = normalise_name(name).key
    candidates = Project.objects.filter(number__iexact=number) | Project.objects.filter(
        name__iexact=name
    )
    found = list(candidates.distinct())
    found += [
        project
        for project in Project.objects.filter(erp_id="").only("pk", "name", "number")
        if project not in found and normalise_name(project.name).key == key
    ][:5]
    return found


def _job_keys(job: ERPJob) -> set[str]:
    return {
        f"number:{project_number_for(job).casefold()}",
        f"name:{normalise_name(one_line(job.display_name)).key}",
    }


def _project_keys(project: Project) -> set[str]:
    return {f"number:{project.number.casefold()}", f"name:{normalise_name(project.name).key}"}


def projects_matching_jobs(jobs, projects) -> dict[int, Project]:
    """For each job (by pk), the one project among `projects` with its number or its name; a
    job that meets none, or two, gets none: only a real match is offered ready to link."""
    by_key: dict[str, list[Project]] = {}
    for project in projects:
        for key in _project_keys(project):
            by_key.setdefault(key, []).append(project)
    matches = {}
    for job in jobs:
        met = {project.pk: project for key in _job_keys(job) for project in by_key.get(key, [])}
        if len(met) == 1:
            matches[job.pk] = next(iter(met.values()))
    return matches


def _require_project_rights(actor) -> None:
    if not permissions.can_decide_type(actor, Project):
        raise NotPermitted("Only accounting approvers for projects can import or link jobs.")


def project_manager_choices() -> QuerySet:
    """The people a project added from a job may be given to: active project managers."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=permissions.PROJECT_MANAGERS)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def person_name(user) -> str:
    return user.get_full_name() or user.get_username()


def job_add_to_projects(*, job: ERPJob, actor, managers=()) -> Project:
    """Create the project for an ERP job, already synced and linked (Add to projects), with the
    project managers the accountant chose as its members, so they see it at once."""
    _require_project_rights(actor)
    name = one_line(job.display_name)
    if not job.is_active:
        raise PreconditionsNotMet([f"Job '{name}' is inactive in the ERP."])
    managers = list(managers)
    not_managers = [user for user in managers if not permissions.is_project_manager(user)]
    if not_managers:
        raise PreconditionsNotMet(
            [
                f"{person_name(user)} is not an active project manager; choose project managers "
                "only."
                for user in not_managers
            ]
        )
    linked = Project.objects.filter(erp_connection=job.erp_connection_id, erp_id=job.erp_id).first()
    if linked is not None:
        raise PreconditionsNotMet([f"Job '{name}' is already project '{linked}'."])
    number, project_name = project_number_and_name(job)
    if not number:
        raise PreconditionsNotMet([f"Job {job.erp_id} has no name to number its project by."])
    twins = existing_projects_like(job)
    if twins:
        raise PreconditionsNotMet([_existing_sentence(job, twins[0])])
    now = timezone.now()
    team = ", ".join(person_name(user) for user in managers) or "none yet"
    try:
        with transaction.atomic():
            [project] = records_import(
                records=[
                    Project(
                        number=number,
                        name=project_name[:255],
                        address=one_line(job.address)[:500],
                        customer_name=one_line(job.parent_name)[:255],
                        erp_parent_customer_id=job.parent_erp_id,
                        uses_standard_cost_codes=True,
                        erp_connection_id=job.erp_connection_id,
                        erp_id=job.erp_id,
                        erp_version=job.erp_version,
                        erp_synced_at=now,
                        created_by=actor,
                        decided_by=actor,
                        decided_at=now,
                    )
                ],
                actor=actor,
                reason_of=lambda _project: (
                    f"added from job '{name}' ({job.erp_id}); project managers: {team}"
                ),
            )
            ProjectMembership.objects.bulk_create(
                [ProjectMembership(project=project, user=user) for user in managers]
            )
    except IntegrityError as error:
        raise PreconditionsNotMet(
            [f"Job '{name}' was added as a project by someone else a moment ago."]
        ) from error
    return project


def _existing_sentence(job: ERPJob, project: Project) -> str:
    return (
        f"Existing jobs/projects cannot be integrated automatically: project '{project}' "
        f"already exists here and may be the same as job '{job.display_name}'. Link them "
        "instead (only a project not yet sent to the ERP, using the standard cost codes, can be "
        "linked), or rename one of them if they are different."
    )


def job_link(*, job: ERPJob, project: Project, actor, confirmed: bool):
    """Link an existing, unsynced project to an existing job, once the accountant confirmed."""
    problems = []
    if not job.is_active:
        problems.append(f"Job '{job.display_name}' is inactive in the ERP.")
    if not project.uses_standard_cost_codes:
        problems.append(STANDARD_COST_CODES_REQUIRED)
    if project.erp_id:
        problems.append(f"Project '{project}' is already linked to a job.")
    twin = Project.objects.filter(erp_connection=job.erp_connection_id, erp_id=job.erp_id).first()
    if twin is not None:
        problems.append(f"Job '{job.display_name}' is already linked to project '{twin}'.")
    if not problems and not confirmed:
        problems.append(
            f"Confirm that project '{project}' and job '{job.display_name}' are the same: "
            "their records will be treated as one from now on."
        )
    if problems:
        raise PreconditionsNotMet(problems)
    try:
        with transaction.atomic():
            return record_transition(
                record=project,
                action=Action.LINK,
                actor=actor,
                reason=f"linked to job '{job.display_name}' after confirmation",
                changes={
                    "erp_connection_id": job.erp_connection_id,
                    "erp_id": job.erp_id,
                    "erp_version": job.erp_version,
                    "erp_synced_at": timezone.now(),
                    "erp_parent_customer_id": job.parent_erp_id,
                },
            )
    except IntegrityError as error:
        raise PreconditionsNotMet(
            [f"Job '{job.display_name}' was linked to another project a moment ago."]
        ) from error


def job_archive(*, job: ERPJob, actor, archived: bool = True) -> None:
    _require_project_rights(actor)
    ERPJob.objects.filter(pk=job.pk).update(is_archived=archived)
    job.is_archived = archived


def project_enable_job_costs(*, project: Project, actor) -> AuditEvent:
    """Start pulling the project's job costs from the ERP (its whole history on the next sync)."""
    if not permissions.can_decide(actor, project):
        raise NotPermitted(permissions.decide_refusal(actor, project))
    problems = []
    if project.sync_status != SyncStatus.SYNCED or not project.erp_id:
        problems.append(
            f"Project '{project}' must be synced with the ERP before its job costs can be synced."
        )
    if not project.uses_standard_cost_codes:
        problems.append(STANDARD_COST_CODES_REQUIRED)
    if project.job_cost_sync_enabled:
        problems.append(f"Job-cost syncing is already enabled for project '{project}'.")
    if problems:
        raise PreconditionsNotMet(problems)
    with transaction.atomic():
        updated = Project.objects.filter(pk=project.pk, job_cost_sync_enabled=False).update(
            job_cost_sync_enabled=True, job_costs_synced_at=None
        )
        if updated != 1:
            raise PreconditionsNotMet(
                [f"Job-cost syncing is already enabled for project '{project}'."]
            )
        project.job_cost_sync_enabled = True
        project.job_costs_synced_at = None
        return audit_write(
            AuditEntry(
                model=Project,
                record_id=project.pk,
                actor=actor,
                action=Note.ENABLE_JOB_COSTS,
                reason="Job-cost transactions will be pulled from the ERP with each job-cost sync.",
            )
        )
