"""What every ERP connector offers the approval workflow, and the errors it raises.

Errors are classified once, where the ERP's answer is read (the connector and its client):
a TransientERPError is worth retrying later; a PermanentERPError needs a person. A client makes
one attempt per call (a refreshed token aside): retrying, backing off and giving up are the
callers' (the export service, the look-ups, the imports), which reschedule instead of sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from integrations.describe import DocumentDescription
from integrations.questions import AcceptQuestions


class ERPError(Exception):
    """An ERP call failed. `message` is written for an accountant, not a developer."""

    transient = False

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        detail: str = "",
        status: int | None = None,
        retry_after: float | None = None,
        response_body: Any = None,
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.detail = detail
        self.status = status
        self.retry_after = retry_after
        self.response_body = response_body

    def __str__(self) -> str:
        return self.message


class TransientERPError(ERPError):
    """Timeouts, dropped connections, throttling, 5xx: retry with back-off."""

    transient = True


class RateLimitedError(TransientERPError):
    """The ERP asked us to slow down (429), or this connection's share of its rate limits is
    spent for now: try again after `retry_after` seconds. Not a failed try: waiting for the ERP's
    budget never counts toward the tries that fail a record."""


class PermanentERPError(ERPError):
    """Validation and business faults, authorization: retrying will not help."""


class StaleObjectError(PermanentERPError):
    """The document changed in the ERP since we read it (QuickBooks 5010): re-read, re-apply."""


class DuplicateNameError(PermanentERPError):
    """The name is already used in the ERP (QuickBooks 6240)."""


class NotConnectedError(PermanentERPError):
    """No ERP company is connected, or its authorization was revoked."""


@dataclass
class ExportResult:
    """What an export left in the ERP, and the exchange that did it (kept in the audit trail)."""

    erp_id: str
    version: str = ""
    doc_number: str = ""
    linked_existing: bool = False
    line_ids: dict[int, str] = field(default_factory=dict)
    request_payload: Any = None
    response_payload: Any = None
    problem: str = ""
    """What the export could not finish in the ERP and a person must (a bill left unlinked to
    its purchase order): the record is synced, and the sentence is shown on it."""


@dataclass(frozen=True)
class HandedOff:
    """An export the ERP's own agent will carry out later (QuickBooks Desktop's Web Connector
    collects requests when it next runs): nothing is in the books yet.

    The connector keeps the request under the record and its export attempt, and when the agent
    answers it settles that attempt through approvals' inbound entry point
    (`approvals.inbound.export_settled`). Handing the same attempt off again (a worker
    that died before recording the hand-off) must return the request already queued, never
    queue a second one. `reference` is the connector's own name for the queued request, shown
    in the history; `request_payload` is what was handed over, kept in the audit trail.
    """

    reference: str
    request_payload: Any = None


@dataclass(frozen=True)
class DocumentState:
    """What became of a synced record's document in the ERP since the export.

    `drift` is an approvals.states.ERPDrift value ("" while the document is as exported);
    `erp_amount` the document's amount in the ERP now (before tax), `note` a sentence for the
    approvers, `problem` what the export left unfinished that is still unfinished ("" when
    nothing).
    """

    drift: str = ""
    erp_amount: Decimal | None = None
    note: str = ""
    problem: str = ""


@dataclass(frozen=True)
class ApprovedDocument:
    """What an accept approves, computed from local data only (no ERP call while a person waits).

    `document` is the normalised document the mapping would send: references resolved to the
    ERP ids and settings known here, without the ERP's own version field. `identity` is what the
    look-up before create searches for (a vendor and number, a name), kept with the accept so
    every retry of that version looks for what was sent, not for what the record says later.
    """

    document: dict[str, Any]
    identity: dict[str, Any]
    description: dict[str, Any] | None = None
    """The connector's DocumentDescription of it, as data (what the decision page showed); None
    in accepts kept before descriptions were."""


class Connector(Protocol):
    """Implemented once per ERP in integrations/<erp>/connector.py."""

    kind: str
    display_name: str

    def export_problems(self, record) -> list[str]:
        """Sentences saying why `record` cannot go to this ERP now; empty when it can."""

    def export(self, record, *, idempotency_key: str) -> ExportResult | HandedOff:
        """Create or update the record's ERP document; never creates a second one on retry.
        An ERP that answers later returns HandedOff and settles the attempt when it answers."""

    def approved_document(self, record) -> ApprovedDocument:
        """The document accepting `record` as it stands approves, and its identity."""

    def describe(self, record) -> DocumentDescription:
        """The document exporting `record` as it stands would create, in an accountant's
        words, from local data only (no ERP call: a person waits for it)."""

    def accept_questions(self, model) -> AcceptQuestions:
        """What accepting a record of `model` asks, with choices from imported data."""

    def find_exported(self, record, approved: ApprovedDocument | None) -> ExportResult | None:
        """The document the record's last export attempt left in the ERP, looked up by what
        its accept approved (`approved`; the record as it stands when None), or None when the
        ERP holds nothing that is clearly that document."""


@runtime_checkable
class ExportsInBatches(Protocol):
    """Optional: a connector whose ERP takes many documents in one request (QuickBooks Online's
    batch of 30, Xero's 50). A connector without it sends one document per request."""

    def export_batch_size(self, model) -> int:
        """How many records of `model` one request may carry (1: they go alone)."""

    def export_batch(
        self, records: list, *, idempotency_keys: list[str]
    ) -> list[ExportResult | HandedOff | ERPError]:
        """Export records of one type and one connection in as few requests as the ERP takes,
        each looked up first as its export alone would be; `idempotency_keys` are the records'
        own transport keys (for what an item's export writes beyond its create).

        Returns each record's outcome, in order: what its export left in the ERP, or the error
        of that record alone. When the request as a whole got no usable answer, each record
        sent has that error; one without an error status means the answer was lost and the ERP
        may hold some of the documents (the caller looks each up)."""


@runtime_checkable
class KnowsClosedPeriods(Protocol):
    """Optional: a connector that can read the date the ERP's books are closed through."""

    def books_closed_through(self):
        """The closing date (a datetime.date), or None when the books are open."""


@runtime_checkable
class QueuesCostCodes(Protocol):
    """Optional: a connector whose ERP adds a new cost code's item only when its own agent next
    runs (QuickBooks Desktop's Web Connector) instead of a reader's create_cost_code. The cost
    code is linked when the agent brings the item back, as an import of the item list links it."""

    def cost_code_hand_off(self, *, code: str, name: str, expense_account_id: str) -> str:
        """Queue the item of cost code `code` `name`, its costs on `expense_account_id`; the
        sentence saying what now waits. A PermanentERPError says why the ERP cannot hold it
        (nothing was queued)."""


@runtime_checkable
class CommitmentsOptional(Protocol):
    """Optional: a connector for which sending commitments is the company's choice (Xero's
    purchase orders); when it does not, invoices go to the books without them."""

    def exports_commitments(self) -> bool:
        """Whether commitments are sent (and invoices wait for theirs to be synced)."""


@dataclass(frozen=True)
class AgentRun:
    """One run of an ERP's own agent: when it started, how many requests it was handed, how
    many it brought an answer to, how many of those failed, and how the run ended."""

    started_at: datetime
    sent: int
    answered: int
    failed: int
    outcome: str


@dataclass(frozen=True)
class AgentActivity:
    """What an ERP's own agent (one that collects our requests when it runs) did lately and
    what waits for it, in the approvers' words: the dashboard shows it per connection."""

    agent: str
    """The agent's name as a sentence starts it: "The Web Connector"."""
    last_run: str
    """"the Web Connector last ran 2 hours ago", or that it has not run yet."""
    silence: str
    """Set while the agent has not run for longer than expected: what it means, what to do."""
    runs: tuple[AgentRun, ...]
    waiting: int
    oldest_waiting_at: datetime | None
    failures: tuple[str, ...]
    """The latest requests the ERP refused, each in plain words with the ERP's code and message."""


@runtime_checkable
class CollectedByAgent(Protocol):
    """Optional: a connector whose exports are handed off (HandedOff) to an agent of the ERP
    that collects them when it next runs; people are told what that agent did lately."""

    def hand_off_note(self) -> str:
        """What a record waiting for the agent adds to its status: "the Web Connector last ran
        2 hours ago" (or that it has not run yet, or not for too long)."""

    def agent_activity(self) -> AgentActivity:
        """The agent's recent runs and what waits for it."""

    def hand_off_cancel(self, record, *, by: str) -> None:
        """Withdraw the request of `record`'s current export attempt before the agent collects
        it, so it is never sent; `by` names who cancelled. Runs inside the caller's transaction
        and locks the request, so the agent collecting it at the same moment and the cancel
        cannot both win. Raises PermanentERPError with a sentence when the agent already
        collected it (the ERP may hold the document) or nothing of that attempt waits."""


@dataclass(frozen=True)
class VendorUpdateResult:
    """What a vendor update left in the ERP, and the exchange that did it (kept in the history)."""

    version: str
    request_payload: Any = None
    response_payload: Any = None


@runtime_checkable
class UpdatesVendors(Protocol):
    """Optional: a connector that can change the details of a vendor a company is linked to."""

    def vendor_update(
        self, company, *, new_values: dict[str, str], request_key: str
    ) -> VendorUpdateResult:
        """Give the vendor `company` is linked to the `new_values` (company field name → new
        value; `company` still holds the old ones), changing nothing else it holds.

        Raises DuplicateNameError when another vendor has the new name, TransientERPError when
        trying again later may succeed, another ERPError when a person must act. `request_key`
        is reused only to repeat a request whose answer was lost.
        """
