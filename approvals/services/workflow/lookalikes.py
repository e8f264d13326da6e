"""Vendors and jobs the ERP already has that a company or project being sent looks like.

Answered from the imported lists (ERPVendor, ERPJob, kept fresh by the incremental syncs and
webhooks) and from the records here already linked to one, never by asking the ERP while a
person waits. A send says what it found; an accept must then link the record to the existing
one or create a new one for a stated reason; direct export leaves such a record for an approver.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Q

from approvals.models import Company, ERPJob, ERPVendor, Project
from approvals.services import erp
from approvals.services.workflow.accept_questions import accept_questions
from approvals.services.workflow.matching import (
    Confidence,
    NameRelation,
    Party,
    assess,
    company_party,
    name_relation,
    name_variants,
    visible_tax_digits,
)
from approvals.services.workflow.records import noun

_CANDIDATE_LIMIT = 500
_SIGNIFICANT_WORD = re.compile(r"[^\W\d_]{4,}")
_JOB_NUMBER = re.compile("^\\s*[A-Za-z]{0,4}[-#]?\\d[\\w.-]*\\s+[-\u2013:]?\\s*")


@dataclass(frozen=True)
class LookAlike:
    """One vendor or job of the ERP a record looks like, and why."""

    erp_id: str
    name: str
    reason: str
    confidence: Confidence
    linked_to: str = ""  # the record here already linked to it
    linkable: bool = True
    why_not_linkable: str = ""  # inactive or archived, or a job already a project's

    def sentence(self, erp_name: str, record) -> str:
        kind = "vendor" if isinstance(record, Company) else "job"
        here = f", which is already {self.linked_to} here" if self.linked_to else ""
        check = "check first: " if self.confidence < Confidence.HIGH else ""
        sentence = (
            f"{erp_name} already has the {kind} '{self.name}' (id {self.erp_id}){here}, which "
            f"looks like this {noun(record)} ({check}{self.reason})."
        )
        if self.why_not_linkable:
            sentence += f" It cannot be linked: {self.why_not_linkable}."
        return sentence


def lookalikes(record) -> list[LookAlike]:
    """The ERP vendors (for a company) or jobs (for a project) `record` looks like, surest
    first; empty for other records, while no ERP is connected, and when the connected ERP does
    not ask to link or create records of its type."""
    if not isinstance(record, Company | Project):
        return []
    connection = erp.active_connection_or_none()
    if connection is None or not accept_questions(type(record)).link_or_create:
        return []
    if isinstance(record, Company):
        return _vendor_lookalikes(record, connection)
    return _job_lookalikes(record, connection)


def lookalike_sentences(record) -> list[str]:
    if not isinstance(record, Company | Project):
        return []
    connection = erp.active_connection_or_none()
    name = erp.erp_name(connection)
    return [lookalike.sentence(name, record) for lookalike in lookalikes(record)]


# --- vendors ----------------------------------------------------------------------------------


def _vendor_lookalikes(company: Company, connection) -> list[LookAlike]:
    ours = company_party(company)
    words = _words_of(ours.names)
    text_match = Q()
    for word in words:
        text_match |= Q(display_name__icontains=word) | Q(company_name__icontains=word)
    if company.email.strip():
        text_match |= Q(email__iexact=company.email.strip())
    digits = visible_tax_digits(company.tax_id)
    if digits:
        text_match |= Q(tax_id__endswith=digits)
    if not text_match:
        return []
    # Inactive and archived vendors too: the ERP keeps their names taken.
    vendors = list(
        ERPVendor.objects.filter(text_match, erp_connection=connection).order_by(
            "-is_active", "display_name"
        )[:_CANDIDATE_LIMIT]
    )
    # Companies here already linked to a vendor, whether or not the vendor list was imported.
    here = Q()
    for word in words:
        here |= Q(name__icontains=word) | Q(legal_name__icontains=word)
    if company.email.strip():
        here |= Q(email__iexact=company.email.strip())
    linked_here = list(
        Company.objects.filter(here, erp_connection=connection)
        .exclude(erp_id="")
        .exclude(pk=company.pk)[:_CANDIDATE_LIMIT]
    )
    known = {vendor.erp_id for vendor in vendors}
    vendors += [
        ERPVendor(
            erp_connection=connection,
            erp_id=other.erp_id,
            display_name=other.name,
            company_name=other.legal_name,
            tax_id=other.tax_id,
            email=other.email,
            city=other.city,
            # A vendor known only through a company here is as usable as that company.
            is_active=not other.is_archived,
        )
        for other in linked_here
        if other.erp_id not in known
    ]
    linked = {
        other.erp_id: other
        for other in Company.objects.filter(erp_connection=connection)
        .exclude(erp_id="")
        .exclude(pk=company.pk)
        .filter(erp_id__in=[vendor.erp_id for vendor in vendors])
    }
    found = []
    seen = set()
    for vendor in vendors:
        if vendor.erp_id in seen:
            continue
        seen.add(vendor.erp_id)
        if vendor.erp_id == company.erp_id:
            continue
        theirs = Party(
            names=(vendor.display_name, vendor.company_name),
            tax_id=vendor.tax_id,
            email=vendor.email,
            city=vendor.city,
        )
        assessment = assess(ours, theirs)
        if assessment is None:
            continue
        other = linked.get(vendor.erp_id)
        unusable = _unusable(vendor.is_active, vendor.is_archived, "vendor")
        if other is not None and other.is_archived:
            unusable = unusable or f"company '{other.name}' linked to it is archived here"
        found.append(
            LookAlike(
                erp_id=vendor.erp_id,
                name=vendor.display_name,
                reason=assessment.reason,
                confidence=assessment.confidence,
                linked_to=f"company '{other.name}'" if other else "",
                linkable=not unusable,
                why_not_linkable=unusable,
            )
        )
    found.sort(key=lambda lookalike: (-lookalike.confidence, lookalike.name))
    return found


# --- jobs -------------------------------------------------------------------------------------


def _job_lookalikes(project: Project, connection) -> list[LookAlike]:
    names = (project.name, f"{project.number} {project.name}")
    words = _words_of(names)
    text_match = Q(display_name__istartswith=f"{project.number} ") | Q(
        display_name__iexact=project.number
    )
    for word in words:
        text_match |= Q(display_name__icontains=word)
    jobs = list(
        ERPJob.objects.filter(text_match, erp_connection=connection).order_by(
            "-is_active", "display_name"
        )[:_CANDIDATE_LIMIT]
    )
    # Projects here already linked to a job, whether or not the job list was imported.
    here = Q(number__iexact=project.number)
    for word in words:
        here |= Q(name__icontains=word)
    known = {job.erp_id for job in jobs}
    jobs += [
        ERPJob(erp_connection=connection, erp_id=other.erp_id, display_name=other.name)
        for other in Project.objects.filter(here, erp_connection=connection)
        .exclude(erp_id="")
        .exclude(pk=project.pk)[:_CANDIDATE_LIMIT]
        if other.erp_id not in known
    ]
    linked = {
        other.erp_id: other
        for other in Project.objects.filter(erp_connection=connection)
        .exclude(erp_id="")
        .exclude(pk=project.pk)
        .filter(erp_id__in=[job.erp_id for job in jobs])
    }
    ours = [variant for name in names for variant in name_variants(name)]
    found = []
    for job in jobs:
        if job.erp_id == project.erp_id:
            continue
        reason, confidence = _job_reason(project, job, ours)
        if not reason:
            continue
        other = linked.get(job.erp_id)
        unusable = (
            f"it is already project '{other}' here, and one job is one project's"
            if other is not None
            else _unusable(job.is_active, job.is_archived, "job")
        )
        found.append(
            LookAlike(
                erp_id=job.erp_id,
                name=job.fully_qualified_name or job.display_name,
                reason=reason,
                confidence=confidence,
                linked_to=f"project '{other}'" if other else "",
                linkable=not unusable,
                why_not_linkable=unusable,
            )
        )
    found.sort(key=lambda lookalike: (-lookalike.confidence, lookalike.name))
    return found


def _job_reason(project: Project, job: ERPJob, ours) -> tuple[str, Confidence]:
    if job.display_name.split(" ", 1)[0].casefold() == project.number.casefold():
        return f"same project number {project.number}", Confidence.HIGH
    # A job is often named "<number> <name>": its name counts without the number too.
    theirs = [*name_variants(job.display_name), *name_variants(_without_number(job.display_name))]
    best = max(
        (name_relation(left, right) for left in ours for right in theirs),
        default=NameRelation.NONE,
    )
    if best == NameRelation.SAME:
        return "same name", Confidence.HIGH
    if best == NameRelation.TYPO:
        return "names one letter apart", Confidence.MEDIUM
    return "", Confidence.MEDIUM


def _without_number(name: str) -> str:
    return _JOB_NUMBER.sub("", name or "", count=1)


def _unusable(is_active: bool, is_archived: bool, kind: str) -> str:
    if not is_active:
        return f"the {kind} is inactive in the accounting system (make it active there first)"
    if is_archived:
        return f"an accountant archived the {kind} here"
    return ""


def _words_of(names) -> list[str]:
    """The first word of four letters or more of each name, as typed and as normalised: the
    word a look-alike shares, and the last, which a slip in the first or an accent on the other
    side leaves in common ("Keystne Concrete", "Peña Drywall")."""
    found: dict[str, None] = {}
    for name in names:
        texts = [name or "", *(variant.key for variant in name_variants(name or ""))]
        for text in texts:
            words = _SIGNIFICANT_WORD.findall(text)
            for word in words[:1] + words[-1:]:
                found.setdefault(word.casefold(), None)
    return list(found)
