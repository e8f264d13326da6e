"""A scripted ERP whose own agent collects our requests later, as QuickBooks Desktop's Web
Connector does: the contract suite runs the hand-off through it as through QuickBooks Desktop,
with answers scripted to arrive late, twice or not at all.

Its connector never answers while the worker waits: export() queues one request per transport
key and returns HandedOff (asked again with the same key, it returns the request already
queued). `collect()` is the agent's visit: each request not yet answered is carried out (one
document per key, so a request repeated after a lost answer finds the document it made) and
answered through approvals' inbound entry point, with the document or a scripted failure.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from django.db import connections

from approvals.inbound import export_settled
from approvals.services.workflow.edits import exported_values
from approvals.services.workflow.records import model_label
from approvals.states import SyncStatus
from integrations.base import (
    ApprovedDocument,
    ERPError,
    ExportResult,
    HandedOff,
    PermanentERPError,
)
from integrations.models import ERPKind
from tests import records
from tests.approvals.scripted_connector import ScriptedConnector
from tests.factories import make_company, make_cost_code, make_erp_connection, make_project
from tests.integrations.contract.erp_under_test import (
    IMPORT,
    INACTIVE_REFERENCE,
    STALE_VERSION,
    TAKEN_NAME,
)
from tests.integrations.contract.erp_under_test import Books as ContractBooks
from tests.registering import register_test_connector

LOST = "answer lost"


@dataclass
class Request:
    reference: str
    key: str
    model_label: str
    record_id: int
    export_attempt: int
    identity: dict
    document: dict
    answered: bool = False
    sent: ExportResult | ERPError | None = None
    """The agent's last answer that reached us."""


@dataclass
class Books:
    """The ERP's documents and the agent's outbox, shared by its connector and its agent."""

    requests: dict[str, Request] = field(default_factory=dict)
    documents: dict[str, dict] = field(default_factory=dict)
    """By id: {"identity": ..., "document": ..., "key": ...}."""
    failures: list[ERPError] = field(default_factory=list)
    """What the agent answers for its next requests instead of carrying them out."""
    answers_to_lose: int = 0

    def collect(self) -> list[str]:
        """The agent's visit: every pending request carried out and answered, in order."""
        return [self._carry_out(r) for r in list(self.requests.values()) if not r.answered]

    def answer(self, request: Request, outcome: ExportResult | ERPError) -> str:
        """The agent's answer for `request` reaches us (again, late, or at the same time)."""
        request.sent = outcome
        return export_settled(
            model_label=request.model_label,
            record_id=request.record_id,
            export_attempt=request.export_attempt,
            outcome=outcome,
        )

    def made_for(self, identity: dict) -> list[str]:
        return [
            erp_id for erp_id, stored in self.documents.items() if stored["identity"] == identity
        ]

    def made_by(self, request: Request) -> str:
        """The document `request` made, or ''."""
        for erp_id, stored in self.documents.items():
            if stored["key"] == request.key:
                return erp_id
        return ""

    def request_of(self, record, attempt: int | None) -> Request:
        """`record`'s request for export attempt `attempt` (its latest when None)."""
        mine = [
            request
            for request in self.requests.values()
            if request.model_label == model_label(record)
            and request.record_id == record.pk
            and attempt in (None, request.export_attempt)
        ]
        return mine[-1]

    def linked(self, identity: dict) -> str:
        """A document made before the test, for a record here already linked to it."""
        erp_id = str(len(self.documents) + 1)
        self.documents[erp_id] = {"identity": identity, "document": {}, "key": ""}
        return erp_id

    def store(self, request: Request) -> str:
        """Carry `request` out: one document per transport key."""
        erp_id = self.made_by(request)
        if erp_id:
            return erp_id
        erp_id = str(len(self.documents) + 1)
        self.documents[erp_id] = {
            "identity": request.identity,
            "document": request.document,
            "key": request.key,
        }
        return erp_id

    def _carry_out(self, request: Request) -> str:
        if self.failures:
            outcome: ExportResult | ERPError = self.failures.pop(0)
        else:
            outcome = self.result(self.store(request), request)
        if self.answers_to_lose:
            self.answers_to_lose -= 1
            return LOST
        request.answered = True
        return self.answer(request, outcome)

    @staticmethod
    def result(erp_id: str, request: Request) -> ExportResult:
        return ExportResult(
            erp_id=erp_id, request_payload=request.document, response_payload={"id": erp_id}
        )


BOOKS = Books()


def reset() -> Books:
    global BOOKS
    BOOKS = Books()
    return BOOKS


def identity_of(record) -> dict:
    return {"record": f"{record._meta.label}:{record.pk}"}


class HandOffConnector(ScriptedConnector):
    """Describes documents and asks at accept as the scripted connector does; exports by handing
    the request to the agent."""

    display_name = "Hand-off ERP"

    def export_problems(self, record) -> list[str]:
        return []

    def approved_document(self, record) -> ApprovedDocument:
        # What people see of the record stands in for an ERP document here.
        return ApprovedDocument(document=exported_values(record), identity=identity_of(record))

    def export(self, record, *, idempotency_key: str) -> HandedOff:
        request = BOOKS.requests.get(idempotency_key)
        if request is None:
            request = Request(
                reference=f"R{len(BOOKS.requests) + 1}",
                key=idempotency_key,
                model_label=model_label(record),
                record_id=record.pk,
                export_attempt=record.export_attempt,
                identity=identity_of(record),
                document=exported_values(record),
            )
            BOOKS.requests[idempotency_key] = request
        return HandedOff(reference=request.reference, request_payload=request.document)

    def find_exported(self, record, approved) -> ExportResult | None:
        made = BOOKS.made_for(approved.identity if approved else identity_of(record))
        if not made:
            return None
        return ExportResult(erp_id=made[0], linked_existing=True)


class ScriptedHandOff:
    """The contract's adapter for the scripted hand-off ERP (connected as a Xero company, whose
    connector it stands in for during the test: a kind the installation knows)."""

    does_not_apply = {
        STALE_VERSION: "the scripted ERP keeps no document versions; QuickBooks Desktop plays "
        "its EditSequence in this suite.",
        INACTIVE_REFERENCE: "the scripted agent's failures are its script; QuickBooks Desktop "
        "plays its own refusals in this suite.",
        TAKEN_NAME: "the scripted ERP keeps no name lists; QuickBooks Desktop plays its shared "
        "list of names in this suite.",
        IMPORT: "the scripted ERP has no reader (QuickBooks Desktop's adapter says why its "
        "Web Connector's reads are skipped too).",
    }

    erp_name = "Xero"  # the kind it is connected as
    connector_name = HandOffConnector.display_name

    def __init__(self, request):
        register_test_connector(
            request.getfixturevalue("monkeypatch"), ERPKind.XERO, f"{__name__}.HandOffConnector"
        )
        self.books = reset()

    def open_books(self) -> ContractBooks:
        connection = make_erp_connection(kind=ERPKind.XERO)
        pm, approver = records.people()
        cost_codes = {
            name: make_cost_code(code=f"930-{position}00", name=name)
            for position, name in enumerate(records.ITEMS, start=1)
        }
        project = make_project(synced=True, members=[pm])
        vendor = make_company(name="Acme Drywall", synced=True)
        commitment = records.new_commitment(project, vendor, cost_codes, number="SC-1001-004")
        for record in (project, vendor, commitment):
            type(record).objects.filter(pk=record.pk).update(
                sync_status=SyncStatus.SYNCED,
                erp_id=self.books.linked(identity_of(record)),
                erp_connection=connection,
            )
            record.refresh_from_db()
        return ContractBooks(connection, pm, approver, project, vendor, commitment, cost_codes)

    def documents(self, record) -> list[str]:
        return self.books.made_for(identity_of(record))

    def agent_answers(self) -> list[str]:
        return self.books.collect()

    def lose_next_answer(self, record) -> None:
        self.books.answers_to_lose += 1

    def agent_fails_next(self) -> str:
        message = "The vendor name is already used by an employee."
        self.books.failures.append(PermanentERPError(message, response_body={"error": message}))
        return message

    def answer_again(self, record, *, attempt: int | None = None) -> str:
        """The answer for `record`'s request of `attempt` (its last by default) arrives again."""
        request = self.books.request_of(record, attempt)
        assert request.sent is not None, "the agent never answered that request"
        return self.books.answer(request, request.sent)

    def answer_twice_at_once(self, record) -> list[str]:
        """The agent carries out `record`'s pending request and its answer arrives twice at the
        same moment (two deliveries racing)."""
        request = self.books.request_of(record, None)
        outcome = Books.result(self.books.store(request), request)
        request.answered = True
        return twice_at_once(lambda: self.books.answer(request, outcome))


def twice_at_once(deliver) -> list[str]:
    """`deliver()` run by two threads released at the same moment, each on a database
    connection of its own: what each returned, sorted."""
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def run() -> None:
        try:
            start.wait(timeout=10)
            outcomes.append(deliver())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)
