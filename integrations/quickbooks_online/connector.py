"""QuickBooks Online behind the connector protocol: checks, exports, and link checks.

Every export first looks its document up (a Vendor or job Customer by DisplayName, a
PurchaseOrder or Bill by DocNumber and vendor, a change order by its marked lines) and links to
it when it is clearly ours, so a retry after a lost answer never makes a second document. Every
write carries the export's idempotency key as QuickBooks `requestid`, and every document's total
is checked to the cent before it is sent and again as QuickBooks stored it.

Per-company settings (ERPConnection.settings), each with a working default:
- "ap_account_id": the Accounts Payable account of purchase orders and bills
  (default: the first active Accounts Payable account).
- "retainage_item_id": the item of retainage lines (default: the item named "Retainage",
  created when missing as a NonInventory item whose expense account is "Retainage Payable",
  an Other Current Liability account, itself created when missing). Retainage is money still
  owed to the subcontractor, so it belongs in a liability, not in job cost.
- "vendor_types": the vendor types offered when a company is accepted (default: Subcontractor,
  Supplier).
- "vendor_1099_types": vendor types whose vendors are marked for 1099 reporting (default none;
  whether a subcontractor gets a 1099 depends on its tax status, which only the accountant knows).
- "country", "home_currency", "multicurrency": where the company is, read from QuickBooks
  (CompanyInfo.Country, Preferences.CurrencyPrefs) on connect and reconnect, and on the first
  export of a connection made before they were kept (until then: "US", "USD", off). A record in
  another currency than the home one is refused unless multicurrency is on and its QuickBooks
  vendor is in that currency; it is then sent in that currency (QuickBooks applies its rate).
- "purchase_tax_code_id" and "tax_codes_by_item" ({item id: tax code id}): outside the US
  every purchase line names a TaxCode: the one chosen for its item (a cost code, or the
  retainage item), else the default. Our amounts are before tax ("TaxExcluded"); QuickBooks adds
  the tax to TotalAmt. A company outside the US with no code for a line refuses the record.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.conf import settings as django_settings

from approvals.inbound import record_title
from approvals.models import (
    Commitment,
    CommitmentChangeOrder,
    Company,
    ERPCustomer,
    Project,
    SubcontractorInvoice,
)
from integrations.base import (
    ApprovedDocument,
    DuplicateNameError,
    ERPError,
    ExportResult,
    PermanentERPError,
    StaleObjectError,
    TransientERPError,
    VendorUpdateResult,
)
from integrations.batch_plans import plan_batch
from integrations.describe import DocumentDescription, Reference
from integrations.exported_records import reloaded, reloaded_batch
from integrations.models import ERPConnection, ERPKind
from integrations.questions import (
    NOTHING_ASKED,
    AcceptQuestion,
    AcceptQuestions,
    parent_customer_question,
)
from integrations.quickbooks_online import describing, drift, mapping, order_links
from integrations.quickbooks_online.client import MAX_BATCH_ITEMS, QuickBooksClient, query_literal
from integrations.quickbooks_online.errors import MISSING_REFERENCE_CODES, error_for_batch_item
from money import cents, plain_money

STALE_RETRIES = 3
RETAINAGE_ITEM_NAME = "Retainage"
RETAINAGE_ACCOUNT_NAME = "Retainage Payable"
COMPANY_PROFILE = ("country", "home_currency", "multicurrency")
# How an approved document names a reference the export resolves in QuickBooks itself.
FIRST_PAYABLES_ACCOUNT = "the first Accounts Payable account"
RETAINAGE_ITEM_BY_NAME = f"the item named '{RETAINAGE_ITEM_NAME}'"
ANY_ACTIVE = "Active IN (true, false)"
# The vendor types offered at accept unless the connection's settings name others.
DEFAULT_VENDOR_TYPES = ("Subcontractor", "Supplier")


class ExportRefused(PermanentERPError):
    """The record cannot go to QuickBooks Online as it stands; nothing was sent."""


def _refused_as_is(error: PermanentERPError) -> ExportResult:
    raise error


@dataclass(frozen=True)
class _Create:
    """A create an export still has to send, alone or as one item of a batch: `finish` turns
    the document QuickBooks stored into the export's result; `refused` turns QuickBooks' refusal
    into a link to the document it already holds, or raises it."""

    entity: str
    payload: dict
    finish: Callable[[dict], ExportResult]
    refused: Callable[[PermanentERPError], ExportResult] = _refused_as_is


@dataclass(frozen=True)
class _RecordType:
    """Each step of getting one of our record types into QuickBooks Online."""

    prerequisites: Callable[[Any], list[str]]  # what the mapping cannot do without
    problems: Callable[[Any], list[str]]  # what QuickBooks would refuse, in an accountant's words
    approved: Callable[[Any], tuple[dict, dict]]  # the document sent, and how to find it again
    describe: Callable[[Any], DocumentDescription]
    # a change order's update, sent at once; else the create still to send, alone or batched
    plan: Callable[[Any, str], ExportResult | _Create]
    find_exported: Callable[[Any, dict, dict], ExportResult | None]


def _nothing_needed(record) -> list[str]:
    return []


class QuickBooksOnlineConnector:
    kind = ERPKind.QUICKBOOKS_ONLINE
    display_name = "QuickBooks Online"

    def __init__(self, connection: ERPConnection, client: QuickBooksClient | None = None):
        self.connection = connection
        self._client = client
        self._ap_account_id: str | None = None
        self._retainage_item_id: str | None = None
        # What one query said of a batch's numbers: (entity, number) -> documents with it.
        self._numbered: dict[tuple[str, str], list[dict]] = {}

    @property
    def client(self) -> QuickBooksClient:
        """Opened on first use: checking a record for problems needs no HTTP."""
        if self._client is None:
            self._client = QuickBooksClient(self.connection)
        return self._client

    @property
    def settings(self) -> dict:
        return self.connection.settings or {}

    # What each record type becomes --------------------------------------------------------

    def _becomes(self, record) -> _RecordType:
        return self._record_types[type(record)]

    @cached_property
    def _record_types(self) -> dict[type, _RecordType]:
        """The one table of what each of our record types becomes in QuickBooks Online."""
        return {
            # A company is a Vendor, linked by DisplayName.
            Company: _RecordType(
                prerequisites=_nothing_needed,
                problems=self._vendor_problems,
                approved=self._approved_vendor,
                describe=self._describe_vendor,
                plan=self._vendor_plan,
                find_exported=self._exported_vendor,
            ),
            # A project is a job: a Customer (under the parent customer chosen at accept).
            Project: _RecordType(
                prerequisites=_nothing_needed,
                problems=self._job_problems,
                approved=self._approved_job,
                describe=self._describe_job,
                plan=self._job_plan,
                find_exported=self._exported_job,
            ),
            # A commitment is a PurchaseOrder, one line per schedule-of-values line.
            Commitment: _RecordType(
                prerequisites=_purchase_order_prerequisites,
                problems=self._purchase_order_problems,
                approved=self._approved_purchase_order,
                describe=self._describe_purchase_order,
                plan=self._purchase_order_plan,
                find_exported=self._exported_purchase_order,
            ),
            # A change order is an update of its commitment's PurchaseOrder: lines changed or
            # appended, each marked with the change order.
            CommitmentChangeOrder: _RecordType(
                prerequisites=_change_order_prerequisites,
                problems=self._change_order_problems,
                approved=self._approved_change_order,
                describe=self._describe_change_order,
                plan=self._export_change_order,
                find_exported=self._exported_change_order,
            ),
            # A subcontractor invoice is a Bill linked to the PurchaseOrder's lines, retainage held
            # back on the retainage item.
            SubcontractorInvoice: _RecordType(
                prerequisites=_bill_prerequisites,
                problems=self._bill_problems,
                approved=self._approved_bill,
                describe=self._describe_bill,
                plan=self._bill_plan,
                find_exported=self._exported_bill,
            ),
        }

    # Checks ---------------------------------------------------------------------------------

    def export_problems(self, record) -> list[str]:
        """Why QuickBooks Online in particular would refuse `record`, in an accountant's words.

        What every ERP needs (links, approved status, lines on standard cost codes) is said by
        approvals.preconditions; repeating it here would show the accountant each problem twice.
        """
        return self._becomes(record).problems(record)

    def _unmappable(self, record) -> list[str]:
        """What the mapping cannot do without: the export's own guard, whoever called it."""
        return self._becomes(record).prerequisites(record)

    def _vendor_problems(self, company: Company) -> list[str]:
        problems = _name_problems(
            "The company name", mapping.vendor_display_name(company), mapping.MAX_DISPLAY_NAME
        )
        # With no legal name the company name stands for it, and it is that name to shorten.
        problems += _length_problems(
            "The company's legal name" if company.legal_name.strip() else "The company name",
            mapping.vendor_company_name(company),
            mapping.MAX_COMPANY_NAME,
        )
        email = company.email.strip()
        if email:
            problems += _length_problems("The email address", email, mapping.MAX_EMAIL)
            if "@" not in email or "." not in email.partition("@")[2]:
                problems.append(
                    f"The email address '{email}' is not one QuickBooks Online accepts "
                    "(it needs an @ and a domain with a dot)."
                )
        return problems

    def _job_problems(self, project: Project) -> list[str]:
        # The job name is built to fit: a unique number, the name cleaned of forbidden
        # characters, far below 500 characters. The customer is chosen at accept.
        return []

    def _purchase_order_problems(self, commitment: Commitment) -> list[str]:
        problems = _doc_number_problems("commitment", commitment.number)
        problems += self._currency_problems("commitment", commitment.currency)
        amounts = [line.amount for line in commitment.lines.all()]
        problems += _amount_problems(
            "commitment", amounts, total=sum((cents(amount) for amount in amounts), Decimal(0))
        )
        return problems + self._tax_problems(commitment)

    def _change_order_problems(self, change_order: CommitmentChangeOrder) -> list[str]:
        problems = _amount_problems(
            "change order",
            [line.amount for line in change_order.lines.all()],
            total=mapping.change_order_total(change_order),
        )
        return problems + self._tax_problems(change_order)

    def _bill_problems(self, invoice: SubcontractorInvoice) -> list[str]:
        problems = _doc_number_problems("invoice", invoice.number)
        problems += self._currency_problems("invoice's commitment", invoice.commitment.currency)
        if invoice.is_retainage_release and not cents(invoice.retainage_released):
            problems.append("This retainage release does not say how much retainage is released.")
        lines = list(invoice.lines.all())
        billed = any(cents(line.gross_amount) or cents(line.retainage_withheld) for line in lines)
        if not billed and not invoice.is_retainage_release:
            problems.append("The invoice bills nothing; QuickBooks Online needs at least one line.")
        withheld = invoice.totals().withheld
        released = invoice.retainage_released if invoice.is_retainage_release else Decimal(0)
        for what, amount in (("retainage withheld", withheld), ("retainage released", released)):
            if _too_big(amount):
                problems.append(f"The {what}, {plain_money(amount)}, is {TOO_BIG}.")
        problems += _amount_problems(
            "invoice",
            [line.gross_amount for line in lines],
            total=invoice.totals().net,
        )
        return problems + self._tax_problems(invoice)

    def _currency_problems(self, what: str, currency: str) -> list[str]:
        home = self.settings.get("home_currency", "USD")
        if currency and currency != home and not self.settings.get("multicurrency"):
            return [
                f"The {what} is in {currency}, but the QuickBooks Online company keeps its "
                f"books in {home}."
            ]
        return []

    # Tax and currency -------------------------------------------------------------------------

    def _learned_the_company(self) -> bool:
        """Connections made before the company's country and currency were kept read them once,
        after the checks that need no request have passed."""
        if all(name in self.settings for name in COMPANY_PROFILE):
            return False
        remember_company_profile(self.connection, self.client)
        return True

    def _books_purchase_tax(self) -> bool:
        return self.settings.get("country", "US") != "US"

    def _tax_code_for(self, item_id: str) -> str:
        by_item = self.settings.get("tax_codes_by_item") or {}
        return str(by_item.get(item_id) or self.settings.get("purchase_tax_code_id") or "")

    def _tax_problems(self, record) -> list[str]:
        """Outside the US each line needs a purchase tax code; say which are missing."""
        if not self._books_purchase_tax() or self.settings.get("purchase_tax_code_id"):
            return []
        untaxed = [
            str(code)
            for code in _taxed_cost_codes(record)
            if code.erp_id and not self._tax_code_for(code.erp_id)
        ]
        retainage_item = str(self.settings.get("retainage_item_id") or "")
        needs_retainage_code = _has_retainage_line(record) and not (
            retainage_item and self._tax_code_for(retainage_item)
        )
        if not untaxed and not needs_retainage_code:
            return []
        missing = [f"cost code '{code}'" for code in dict.fromkeys(untaxed)]
        if needs_retainage_code:
            missing.append("the retainage item")
        return [
            f"The QuickBooks Online company is in {self.settings['country']}, where every line "
            f"needs a purchase tax code, and none is chosen for {', '.join(missing)}. Choose a "
            "default purchase tax code (or one per cost code) on the QuickBooks Online "
            "connection page, then export again."
        ]

    def _taxed(self, payload: dict) -> dict:
        if not self._books_purchase_tax():
            return payload
        return mapping.with_purchase_tax(payload, self._tax_code_for)

    def _in_record_currency(self, payload: dict, currency: str) -> dict:
        if not currency or currency == self.settings.get("home_currency", "USD"):
            return payload
        return {**payload, "CurrencyRef": {"value": currency}}

    def _check_vendor_currency(self, vendor: Company, currency: str) -> None:
        """A foreign-currency record books only to a vendor QuickBooks keeps in that currency."""
        if not currency or currency == self.settings.get("home_currency", "USD"):
            return
        held = _ref_value(self.client.read("Vendor", vendor.erp_id), "CurrencyRef")
        if held != currency:
            raise ExportRefused(
                f"The record is in {currency}, but vendor '{vendor.name}' is kept in "
                f"{held or 'the home currency'} in QuickBooks Online, which books a vendor's "
                f"transactions only in the vendor's currency. Link the company to a "
                f"QuickBooks Online vendor in {currency}, then export again.",
                code="currency_mismatch",
            )

    # Exports --------------------------------------------------------------------------------

    def export(self, record, *, idempotency_key: str) -> ExportResult:
        record = reloaded(record)
        try:
            plan = self._plan(record, idempotency_key)
            if isinstance(plan, ExportResult):
                return plan
            try:
                document = self.client.create(plan.entity, plan.payload, request_id=idempotency_key)
            except PermanentERPError as error:
                return plan.refused(error)
            return plan.finish(document)
        except PermanentERPError as error:
            explained = self._explained(record, error)
            if explained is error:
                raise
            raise explained from error

    def export_batch_size(self, model) -> int:
        """How many records of `model` one export request may carry: a change order updates its
        purchase order on the SyncToken it read, so it goes alone; the others are creates,
        up to QuickBooks' 30 a batch (BATCH_SIZE may lower it)."""
        if model is CommitmentChangeOrder:
            return 1
        configured = int(django_settings.QUICKBOOKS_ONLINE.get("BATCH_SIZE", MAX_BATCH_ITEMS))
        return max(1, min(MAX_BATCH_ITEMS, configured))

    def export_batch(
        self, records: list, *, idempotency_keys: list[str]
    ) -> list[ExportResult | ERPError]:
        """Records of one type in one batch request: each looked up first as its export alone
        would (purchase orders and bills in one query by number), each settled on its own.

        An item's outcome is its ExportResult or its own ERPError; when the batch as a whole got
        no usable answer, each item sent has that error (one without a status: the answer was
        lost, and QuickBooks may hold some of them; its look-up tells)."""
        keys, records = reloaded_batch(records, idempotency_keys)
        try:
            self._look_up_numbers(list(records.values()))
        except ERPError as error:
            # Nothing was sent: each record's try ends in what stopped the look-up.
            return [error] * len(keys)
        batch = plan_batch(
            keys,
            records,
            identity_of=_number_of,
            plan=self._plan,
            explained=self._explained_if_it_can,
        )
        batch.send(self._send_batch)
        batch.export_after(self.export)
        return batch.in_order()

    def _send_batch(self, records: dict, plans: dict[int, _Create]) -> dict:
        operations = [
            {"bId": str(number), "operation": "create", plan.entity: plan.payload}
            for number, plan in enumerate(plans.values(), start=1)
        ]
        try:
            answers = self.client.batch(operations, request_id=uuid.uuid4().hex)
        except ERPError as error:
            return dict.fromkeys(plans, error)
        outcomes: dict[int, ExportResult | ERPError] = {}
        for (pk, plan), answer in zip(plans.items(), answers, strict=True):
            try:
                refusal = error_for_batch_item(answer, payload=plan.payload)
                if refusal is None:
                    outcomes[pk] = plan.finish(_stored(answer, plan.entity))
                elif isinstance(refusal, PermanentERPError):
                    outcomes[pk] = plan.refused(refusal)
                else:
                    outcomes[pk] = refusal
            except PermanentERPError as error:
                outcomes[pk] = self._explained_if_it_can(records[pk], error)
            except ERPError as error:
                outcomes[pk] = error
        return outcomes

    def _plan(self, record, key: str) -> ExportResult | _Create:
        """What exporting `record` takes: the create still to send (alone or in a batch), or the
        result when the look-up found the document already (a change order, which updates its
        purchase order, is done here)."""
        problems = self._unmappable(record) + self.export_problems(record)
        if not problems and self._learned_the_company():
            problems = self.export_problems(record)
        if problems:
            raise ExportRefused(" ".join(problems), code="export_problems")
        return self._becomes(record).plan(record, key)

    def _explained_if_it_can(self, record, error: ERPError) -> ERPError:
        """In a batch, one item's explanation that QuickBooks cannot give now (a read throttled,
        say) leaves its error as QuickBooks said it, and the other items as they are; an error
        that is not a refusal stays as it is."""
        if not isinstance(error, PermanentERPError):
            return error
        try:
            return self._explained(record, error)
        except ERPError:
            return error

    def _explained(self, record, error: PermanentERPError) -> PermanentERPError:
        """A missing or inactive reference, said with which of the record's references it is."""
        if error.code not in MISSING_REFERENCE_CODES:
            return error
        unusable = self._unusable_references(record)
        if not unusable:
            return error
        return ExportRefused(
            f"{_sentence(error.message)} In QuickBooks Online, {'; '.join(unusable)}.",
            code=error.code,
            detail=error.detail,
            status=error.status,
            response_body=error.response_body,
        )

    def _unusable_references(self, record) -> list[str]:
        """Which of the record's vendor, customer, job and items QuickBooks cannot use."""
        unusable = []
        for entity, erp_id, label in _references(record):
            try:
                document = self.client.read(entity, erp_id)
            except PermanentERPError:
                unusable.append(f"{label} no longer exists")
                continue
            if document.get("Active") is False:
                unusable.append(f"{label} is inactive")
        return unusable

    def _vendor_payload(self, company: Company) -> dict:
        return mapping.vendor_payload(company, track_1099=self._tracks_1099(company))

    def _vendor_plan(self, company: Company, key: str) -> _Create:
        payload = self._vendor_payload(company)

        def refusal_unless_ours(existing: dict) -> str:
            if _same_vendor(existing, payload):
                return ""
            return (
                f"QuickBooks Online already has a vendor named '{payload['DisplayName']}' "
                "whose details differ from this company's. Link the company to that vendor, "
                "or rename one of them."
            )

        return self._named_create(company, "Vendor", payload, "vendor", refusal_unless_ours)

    # Vendor updates ----------------------------------------------------------------------

    def vendor_update(
        self, company: Company, *, new_values: dict[str, str], request_key: str
    ) -> VendorUpdateResult:
        """A sparse update of the company's vendor to `new_values`, on its current SyncToken;
        re-read and tried again when someone changed the vendor in between (5010)."""
        proposed = copy.copy(company)
        for name, value in new_values.items():
            setattr(proposed, name, value)
        problems = self._vendor_problems(proposed)
        if problems:
            raise ExportRefused(" ".join(problems), code="export_problems")
        for attempt in range(STALE_RETRIES + 1):
            vendor = self.client.read("Vendor", company.erp_id)
            payload = mapping.vendor_update_payload(
                company,
                proposed,
                vendor=vendor,
                track_1099_before=self._tracks_1099(company),
                track_1099_after=self._tracks_1099(proposed),
            )
            # A request that failed as stale is remembered under its requestid: a new read
            # needs a new one, or QuickBooks would replay the stale answer.
            request_id = request_key if attempt == 0 else f"{request_key}-{attempt}"
            try:
                updated = self.client.update("Vendor", payload, request_id=request_id, sparse=True)
            except StaleObjectError:
                continue
            except DuplicateNameError as error:
                raise DuplicateNameError(
                    f"QuickBooks Online already has another vendor, customer or employee named "
                    f"'{payload.get('DisplayName', proposed.name)}', so the vendor was not "
                    "updated. Choose another name, or rename the other one in QuickBooks Online.",
                    code=error.code,
                    detail=error.detail,
                    status=error.status,
                    response_body=error.response_body,
                ) from error
            return VendorUpdateResult(
                version=str(updated.get("SyncToken", "")),
                request_payload=mapping.jsonable(payload),
                response_payload=mapping.jsonable(updated),
            )
        raise TransientERPError(
            f"Someone keeps changing vendor '{company.name}' in QuickBooks Online; we will try "
            "the update again shortly.",
            code="5010",
        )

    def _tracks_1099(self, company: Company) -> bool:
        vendor_types = {kind.lower() for kind in self.settings.get("vendor_1099_types", [])}
        return company.vendor_type.lower() in vendor_types

    def _job_plan(self, project: Project, key: str) -> _Create:
        parent_id = project.erp_parent_customer_id
        if not parent_id:
            raise ExportRefused(
                f"Choose the QuickBooks Online customer that project '{project}' belongs to "
                "when accepting it.",
                code="no_parent_customer",
            )
        payload = mapping.project_job_payload(project, parent_customer_id=parent_id)

        def refusal_unless_ours(existing: dict) -> str:
            if existing.get("Job") and _ref_value(existing, "ParentRef") == parent_id:
                return ""
            return (
                f"QuickBooks Online already has a customer named '{payload['DisplayName']}' "
                "that is not a job of the chosen customer. Rename it in QuickBooks Online "
                "or link the project to it."
            )

        return self._named_create(project, "Customer", payload, "job", refusal_unless_ours)

    def _named_create(
        self, record, entity: str, payload: dict, what: str, refusal_unless_ours: Callable
    ) -> _Create:
        """Create a vendor or job; when its name is taken, link it if it is clearly ours.

        QuickBooks keeps DisplayNames unique itself (6240), so the create is the look-up: one
        request per document, and a retry after a lost answer still links instead of duplicating.
        """

        def refused(error: PermanentERPError) -> ExportResult:
            if not isinstance(error, DuplicateNameError):
                raise error
            existing = self._named(entity, payload["DisplayName"])
            if existing is None:
                raise error
            refusal = refusal_unless_ours(existing)
            if refusal:
                raise ExportRefused(refusal, code="name_taken")
            _ensure_active(existing, what)
            self._refuse_if_taken(record, existing, f"{what} '{payload['DisplayName']}'")
            return _result(existing, payload, linked=True)

        return _Create(
            entity, payload, finish=lambda document: _result(document, payload), refused=refused
        )

    def _purchase_order_plan(self, commitment: Commitment, key: str) -> ExportResult | _Create:
        self._check_vendor_currency(commitment.vendor, commitment.currency)
        payload = self._purchase_order_payload(commitment, self.ap_account_id())
        lines = list(commitment.lines.all())
        expected = sum((cents(line.amount) for line in lines), Decimal("0.00"))
        mapping.ensure_total_matches(payload, expected)
        label = f"purchase order {commitment.number}"

        def finish(document: dict, *, linked: bool = False) -> ExportResult:
            _check_stored_total(document, expected, label)
            return _result(document, payload, linked=linked, lines=lines)

        found = self._document_with_number(
            "PurchaseOrder", commitment.number, commitment.vendor.erp_id
        )
        if found is None:
            return _Create("PurchaseOrder", payload, finish=finish)
        self._refuse_if_taken(commitment, found, label)
        return finish(found, linked=True)

    def _export_change_order(self, change_order: CommitmentChangeOrder, key: str) -> ExportResult:
        marker = mapping.change_order_marker(change_order)
        lines = list(change_order.lines.all())
        for attempt in range(STALE_RETRIES + 1):
            purchase_order = self.client.read("PurchaseOrder", change_order.commitment.erp_id)
            applied = [
                line
                for line in mapping.document_lines(purchase_order)
                if str(line.get("Description", "")).startswith(marker)
            ]
            if applied:
                _check_applied_lines(change_order, lines, applied, purchase_order)
                return _result(purchase_order, None, linked=True, lines=lines, documents=applied)
            payload = self._taxed(
                mapping.change_order_update_payload(change_order, purchase_order=purchase_order)
            )
            expected = mapping.document_total(purchase_order) + mapping.change_order_total(
                change_order
            )
            if expected < 0:
                raise ExportRefused(
                    f"Change order {change_order.number} would bring purchase order "
                    f"{purchase_order.get('DocNumber', '')} below zero "
                    f"({plain_money(expected)}).",
                    code="negative_total",
                )
            mapping.ensure_total_matches(payload, expected)
            # A request that failed as stale is remembered under its requestid: a new read
            # needs a new one, or QuickBooks would replay the stale answer.
            request_id = key if attempt == 0 else f"{key}-{attempt}"
            try:
                updated = self.client.update(
                    "PurchaseOrder", payload, request_id=request_id, sparse=True
                )
            except StaleObjectError:
                continue
            _check_stored_total(updated, expected, f"purchase order {updated.get('DocNumber')}")
            added = mapping.document_lines(updated)[-len(lines) :]
            return _result(updated, payload, lines=lines, documents=added)
        raise TransientERPError(
            f"Someone keeps changing purchase order {change_order.commitment.number} in "
            "QuickBooks Online; we will try to add the change order again shortly.",
            code="5010",
        )

    def _bill_plan(self, invoice: SubcontractorInvoice, key: str) -> ExportResult | _Create:
        commitment = invoice.commitment
        needs_retainage = bool(invoice.totals().withheld or invoice.is_retainage_release)
        self._check_vendor_currency(commitment.vendor, commitment.currency)
        ap_account_id = self.ap_account_id()
        retainage_item_id = self.retainage_item_id() if needs_retainage else ""
        billed_lines = _billed_lines(invoice)
        expected = invoice.totals().net

        def payload_linking(order_lines: dict[int, str]) -> dict:
            payload = self._bill_payload(
                invoice,
                ap_account_id=ap_account_id,
                retainage_item_id=retainage_item_id,
                order_line_ids=order_lines,
            )
            mapping.ensure_total_matches(payload, expected)
            return payload

        def finish_with(payload: dict, *, linked: bool) -> Callable[[dict], ExportResult]:
            def finish(document: dict) -> ExportResult:
                _check_stored_total(document, expected, f"bill {invoice.number}")
                links = order_links.check_and_repair(
                    client=self.client,
                    bill=document,
                    billed_lines=billed_lines,
                    purchase_order_id=commitment.erp_id,
                    request_id=f"{key}-links",
                )
                return _result(
                    links.bill, payload, linked=linked, lines=billed_lines, problem=links.problem
                )

            return finish

        payload = payload_linking({})
        found = self._document_with_number("Bill", invoice.number, commitment.vendor.erp_id)
        if found is not None:
            self._refuse_if_taken(invoice, found, f"bill {invoice.number}")
            self._refuse_if_different(invoice, found, payload)
            return finish_with(payload, linked=True)(found)
        order_lines = order_links.order_line_ids(
            client=self.client, billed_lines=billed_lines, purchase_order_id=commitment.erp_id
        )
        if order_lines:
            payload = payload_linking(order_lines)
        return _Create("Bill", payload, finish=finish_with(payload, linked=False))

    # What an accept approves, and what the last attempt left -------------------------------

    def approved_document(self, record) -> ApprovedDocument:
        """The document the export would send, from local data only: the AP account and the
        retainage item are named by the connection's settings, or by how the export finds them."""
        document, identity = self._becomes(record).approved(record)
        # Decimals stay Decimals: the fingerprint and the audit trail write them as exact text.
        return ApprovedDocument(document=document, identity=identity)

    def _approved_vendor(self, company: Company) -> tuple[dict, dict]:
        payload = self._vendor_payload(company)
        return payload, {"Vendor": payload["DisplayName"]}

    def _approved_job(self, project: Project) -> tuple[dict, dict]:
        parent_id = project.erp_parent_customer_id
        payload = mapping.project_job_payload(project, parent_customer_id=parent_id)
        return payload, {"Customer": payload["DisplayName"], "ParentRef": parent_id}

    def _approved_purchase_order(self, commitment: Commitment) -> tuple[dict, dict]:
        payload = self._purchase_order_payload(commitment, self._configured_ap_account())
        return payload, _numbered_identity("PurchaseOrder", payload)

    def _purchase_order_payload(self, commitment: Commitment, ap_account_id: str) -> dict:
        payload = mapping.purchase_order_payload(commitment, ap_account_id=ap_account_id)
        return self._taxed(self._in_record_currency(payload, commitment.currency))

    def _bill_payload(
        self,
        invoice: SubcontractorInvoice,
        *,
        ap_account_id: str,
        retainage_item_id: str,
        order_line_ids: dict[int, str] | None = None,
    ) -> dict:
        payload = mapping.bill_payload(
            invoice,
            ap_account_id=ap_account_id,
            retainage_item_id=retainage_item_id,
            purchase_order_id=invoice.commitment.erp_id,
            order_line_ids=order_line_ids,
        )
        return self._taxed(self._in_record_currency(payload, invoice.commitment.currency))

    def _approved_change_order(self, change_order: CommitmentChangeOrder) -> tuple[dict, dict]:
        order_id = change_order.commitment.erp_id
        marker = mapping.change_order_marker(change_order)
        lines = self._taxed({"Line": mapping.change_order_added_lines(change_order)})["Line"]
        return {"PurchaseOrder": order_id, "Line": lines}, {
            "PurchaseOrder": order_id,
            "Marker": marker,
        }

    def _approved_bill(self, invoice: SubcontractorInvoice) -> tuple[dict, dict]:
        needs_retainage = bool(invoice.totals().withheld or invoice.is_retainage_release)
        retainage_item = self._approved_retainage_item() if needs_retainage else ""
        payload = self._bill_payload(
            invoice, ap_account_id=self._configured_ap_account(), retainage_item_id=retainage_item
        )
        return payload, _numbered_identity("Bill", payload)

    def _approved_retainage_item(self) -> str:
        return str(self.settings.get("retainage_item_id") or RETAINAGE_ITEM_BY_NAME)

    def _configured_ap_account(self) -> str:
        return str(self.settings.get("ap_account_id") or FIRST_PAYABLES_ACCOUNT)

    # What an accept asks -----------------------------------------------------------------

    def accept_questions(self, model) -> AcceptQuestions:
        """A job goes under a customer chosen from the imported ones; a vendor may get a type
        (those of the 1099 types are marked for 1099 reporting); a company or project that
        looks like an imported vendor or job is linked to it or created for a reason."""
        if model is Project:
            return AcceptQuestions(
                choices=(self._parent_customer_question(),), link_or_create=True, link_noun="job"
            )
        if model is Company:
            return AcceptQuestions(
                choices=(self._vendor_type_question(),), link_or_create=True, link_noun="vendor"
            )
        return NOTHING_ASKED

    def _parent_customer_question(self) -> AcceptQuestion:
        return parent_customer_question(
            self.connection,
            erp_name=self.display_name,
            how_to_read="Run the jobs import under ERP Integrations",
        )

    def _vendor_type_question(self) -> AcceptQuestion:
        vendor_types = self.settings.get("vendor_types") or DEFAULT_VENDOR_TYPES
        return AcceptQuestion(
            name="vendor_type",
            field="vendor_type",
            label="Vendor type",
            choices=tuple((vendor_type, vendor_type) for vendor_type in vendor_types),
            empty_choice="— keep each company's own type —",
        )

    # What the decision pages show ----------------------------------------------------------

    def describe(self, record) -> DocumentDescription:
        """The document the export would send, in an accountant's words: read off the approved
        document (the same payload builders), with names from the data kept here."""
        return self._becomes(record).describe(record)

    def _describe_vendor(self, company: Company) -> DocumentDescription:
        return describing.vendor(self._approved_vendor(company)[0])

    def _describe_job(self, project: Project) -> DocumentDescription:
        payload = self._approved_job(project)[0]
        parent_id = project.erp_parent_customer_id
        customer_name = ""
        if parent_id:
            customer_name = (
                ERPCustomer.objects.filter(erp_connection=self.connection, erp_id=parent_id)
                .values_list("display_name", flat=True)
                .first()
                or ""
            )
        return describing.job(payload, customer_name=customer_name)

    def _names(self, commitment: Commitment, cost_codes) -> describing.Names:
        configured_ap = self.settings.get("ap_account_id")
        return describing.Names(
            vendor=commitment.vendor,
            project=commitment.project,
            cost_codes=cost_codes,
            retainage_item_id=self._approved_retainage_item(),
            retainage_configured=str(self.settings.get("retainage_item_id") or ""),
            ap_account=f"account {configured_ap}" if configured_ap else FIRST_PAYABLES_ACCOUNT,
            home_currency=self.settings.get("home_currency", "USD"),
        )

    def _describe_purchase_order(self, commitment: Commitment) -> DocumentDescription:
        payload = self._approved_purchase_order(commitment)[0]
        codes = [line.cost_code for line in commitment.lines.all()]
        return describing.purchase_order(payload, self._names(commitment, codes))

    def _describe_change_order(self, change_order: CommitmentChangeOrder) -> DocumentDescription:
        commitment = change_order.commitment
        earlier = _change_orders_on_purchase_order(change_order)
        before = self._purchase_order_payload(commitment, self._configured_ap_account())["Line"]
        for synced in earlier:
            before += self._taxed({"Line": mapping.change_order_added_lines(synced)})["Line"]
        added = self._approved_change_order(change_order)[0]["Line"]
        codes = [line.cost_code for line in commitment.lines.all()]
        codes += [
            line.cost_code for other in [*earlier, change_order] for line in other.lines.all()
        ]
        return describing.change_order(
            added, before, number=commitment.number, names=self._names(commitment, codes)
        )

    def _describe_bill(self, invoice: SubcontractorInvoice) -> DocumentDescription:
        commitment = invoice.commitment
        totals = invoice.totals()
        codes = [line.schedule_line.cost_code for line in invoice.lines.all()]
        return describing.bill(
            self._approved_bill(invoice)[0],
            self._names(commitment, codes),
            withheld=totals.withheld,
            released=totals.released,
            purchase_order=Reference(commitment.number, commitment.erp_id),
        )

    def find_exported(self, record, approved: ApprovedDocument | None) -> ExportResult | None:
        """Look up what the last attempt sent (what its accept approved, else the record)."""
        record = reloaded(record)
        approved = approved or self.approved_document(record)
        identity, document = approved.identity, approved.document
        return self._becomes(record).find_exported(record, identity, document)

    def _exported_vendor(self, company, identity: dict, document: dict) -> ExportResult | None:
        existing = self._named("Vendor", identity["Vendor"])
        if existing is None or not _same_vendor(existing, document):
            return None
        if self._linked_elsewhere(company, existing) is not None:
            return None
        return _result(existing, None, linked=True)

    def _exported_job(self, project, identity: dict, document: dict) -> ExportResult | None:
        existing = self._named("Customer", identity["Customer"])
        if (
            existing is None
            or not existing.get("Job")
            or _ref_value(existing, "ParentRef") != identity["ParentRef"]
            or self._linked_elsewhere(project, existing) is not None
        ):
            return None
        return _result(existing, None, linked=True)

    def _exported_purchase_order(self, commitment, identity: dict, document: dict):
        found = self._document_with_number(
            "PurchaseOrder", identity["DocNumber"], identity["VendorRef"]
        )
        if not self._is_the_approved(commitment, found, document):
            return None
        return _result(found, None, linked=True, lines=commitment.lines.all())

    def _exported_bill(self, invoice, identity: dict, document: dict) -> ExportResult | None:
        found = self._document_with_number("Bill", identity["DocNumber"], identity["VendorRef"])
        if not self._is_the_approved(invoice, found, document):
            return None
        return _result(found, None, linked=True, lines=_billed_lines(invoice))

    def _exported_change_order(self, change_order, identity: dict, document: dict):
        if not identity["PurchaseOrder"]:
            return None
        purchase_order = self.client.read("PurchaseOrder", identity["PurchaseOrder"])
        applied = [
            line
            for line in mapping.document_lines(purchase_order)
            if str(line.get("Description", "")).startswith(identity["Marker"])
        ]
        if not applied:
            return None
        lines = list(change_order.lines.all())
        _check_applied_lines(change_order, lines, applied, purchase_order)
        return _result(purchase_order, None, linked=True, lines=lines, documents=applied)

    def _is_the_approved(self, record, found: dict | None, document: dict) -> bool:
        """A document found by number is the one the attempt sent only if it books the approved
        lines (job, item, amount) and no other record here is linked to it (an older invoice
        that kept the number, say, or one keyed by hand under it)."""
        if found is None or self._linked_elsewhere(record, found) is not None:
            return False
        return drift.line_signatures(found) == drift.line_signatures(document)

    def _linked_elsewhere(self, record, document: dict):
        """The other record of the same type here that is linked to `document`, if any."""
        return (
            type(record)
            .objects.filter(erp_connection=self.connection, erp_id=str(document.get("Id", "")))
            .exclude(pk=record.pk)
            .first()
        )

    def _refuse_if_taken(self, record, document: dict, label: str) -> None:
        """Never link a record to a document another record here is already linked to."""
        owner = self._linked_elsewhere(record, document)
        if owner is None:
            return
        raise ExportRefused(
            f"QuickBooks Online's {label} (id {document.get('Id')}) already belongs to "
            f"{record_title(owner)} here, so this record was not linked to it and nothing was "
            "sent. Give this record its own number or name (reject it so its sender can), then "
            "export it again.",
            code="document_taken",
            response_body=mapping.jsonable(document),
        )

    def _refuse_if_different(self, invoice, document: dict, payload: dict) -> None:
        """A bill found by number and vendor is linked only if it is this invoice line for line
        (job, item, amount): one keyed by hand under the same number is someone else's work."""
        if drift.line_signatures(document) == drift.line_signatures(payload):
            return
        raise ExportRefused(
            f"QuickBooks Online already has bill {invoice.number} from "
            f"{invoice.commitment.vendor.name} (id {document.get('Id')}), and it is not this "
            f"invoice: its lines differ (job, item or amount; it totals "
            f"{plain_money(_pre_tax_total(document))}). Nothing was sent or linked. Delete or "
            "renumber that bill in QuickBooks Online and retry, or reject this invoice so its "
            "sender can give it its own number.",
            code="document_differs",
            response_body=mapping.jsonable(document),
        )

    # Look-ups -------------------------------------------------------------------------------

    def _named(self, entity: str, display_name: str) -> dict | None:
        """The name-list record with this DisplayName, active or not (names stay taken)."""
        where = f"DisplayName = {query_literal(display_name)} AND {ANY_ACTIVE}"
        wanted = display_name.casefold()
        return next(
            (
                row
                for row in self.client.query_all(entity, where)
                if str(row.get("DisplayName", "")).casefold() == wanted
            ),
            None,
        )

    def _document_with_number(self, entity: str, number: str, vendor_id: str) -> dict | None:
        """The live document with this number from this vendor: a voided one is history, never
        what an export sent or should link to. A batch's look-up answers once for each number
        (`_look_up_numbers`); every other look-up asks QuickBooks."""
        rows = self._numbered.pop((entity, number), None)
        if rows is None:
            rows = self.client.query_all(entity, f"DocNumber = {query_literal(number)}")
        return next(
            (
                row
                for row in rows
                if row.get("DocNumber") == number
                and _ref_value(row, "VendorRef") == vendor_id
                and not drift.is_voided(row)
            ),
            None,
        )

    def _look_up_numbers(self, records: list) -> None:
        """The purchase orders or bills with the numbers of a batch's records, in one query,
        kept for the plan of each (numbers without a document are kept as such)."""
        entity = {Commitment: "PurchaseOrder", SubcontractorInvoice: "Bill"}.get(type(records[0]))
        if entity is None:
            return
        numbers = sorted({record.number for record in records})
        listed = ", ".join(query_literal(number) for number in numbers)
        found: dict[str, list[dict]] = {number: [] for number in numbers}
        for row in self.client.query_all(entity, f"DocNumber IN ({listed})"):
            found.setdefault(str(row.get("DocNumber", "")), []).append(row)
        for number in numbers:
            self._numbered[(entity, number)] = found[number]

    def ap_account_id(self) -> str:
        if self._ap_account_id is None:
            self._ap_account_id = str(
                self.settings.get("ap_account_id") or self._first_payables_account()
            )
        return self._ap_account_id

    def _first_payables_account(self) -> str:
        for account in self.client.query_all("Account", "AccountType = 'Accounts Payable'"):
            return str(account["Id"])
        raise ExportRefused(
            "QuickBooks Online has no Accounts Payable account. Create one in QuickBooks Online "
            "(or choose one in the connection settings) and export again.",
            code="no_ap_account",
        )

    def retainage_item_id(self) -> str:
        if self._retainage_item_id is None:
            self._retainage_item_id = str(
                self.settings.get("retainage_item_id") or self._find_or_create_retainage_item()
            )
        return self._retainage_item_id

    def _find_or_create_retainage_item(self) -> str:
        account_id = self._find_or_create(
            "Account",
            RETAINAGE_ACCOUNT_NAME,
            {
                "Name": RETAINAGE_ACCOUNT_NAME,
                "AccountType": "Other Current Liability",
                "AccountSubType": "OtherCurrentLiabilities",
                "Description": "Retainage withheld from subcontractors, owed until released",
            },
        )
        return self._find_or_create(
            "Item",
            RETAINAGE_ITEM_NAME,
            {
                "Name": RETAINAGE_ITEM_NAME,
                "Type": "NonInventory",
                "ExpenseAccountRef": {"value": account_id},
                "PurchaseDesc": "Retainage withheld from or released to a subcontractor",
            },
        )

    def _find_or_create(self, entity: str, name: str, payload: dict) -> str:
        def find() -> str | None:
            rows = self.client.query_all(entity, f"Name = {query_literal(name)}")
            return next((str(row["Id"]) for row in rows if row.get("Name") == name), None)

        found = find()
        if found:
            return found
        try:
            return str(self.client.create(entity, payload, request_id=uuid.uuid4().hex)["Id"])
        except DuplicateNameError:
            # Another worker created it between our look-up and our create.
            found = find()
            if found is None:
                raise
            return found

    # Closing date ---------------------------------------------

    def books_closed_through(self) -> date | None:
        """The company's closing date (Preferences.AccountingInfoPrefs.BookCloseDate): nothing
        may post on or before it. None when the books were never closed."""
        prefs = self.client.preferences().get("AccountingInfoPrefs") or {}
        text = str(prefs.get("BookCloseDate") or "")[:10]
        try:
            return date.fromisoformat(text) if text else None
        except ValueError:
            return None


# Helpers --------------------------------------------------------------------------------------


def _number_of(record) -> tuple[str, str] | None:
    """What a purchase order or bill is looked up by: its number and vendor."""
    if isinstance(record, Commitment):
        return record.number, record.vendor.erp_id
    if isinstance(record, SubcontractorInvoice):
        return record.number, record.commitment.vendor.erp_id
    return None


def _stored(answer: dict, entity: str) -> dict:
    """The document a batch item's answer holds; an answer without it leaves us not knowing
    what QuickBooks did with the item (transient: its look-up tells)."""
    document = answer.get(entity)
    if not isinstance(document, dict):
        raise TransientERPError(
            "QuickBooks Online sent an answer we could not read; "
            "we will check what happened and try again.",
            detail=f"the answer to batch item {answer.get('bId')} had no {entity}",
            status=200,
            response_body=mapping.jsonable(answer),
        )
    return document


def _sentence(text: str) -> str:
    """QuickBooks' own messages often end without a full stop; ours follow them."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _billed_lines(invoice: SubcontractorInvoice) -> list:
    """The invoice lines that become bill lines, in the bill's order."""
    return [line for line in invoice.lines.all() if cents(line.gross_amount)]


def _quoted(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _length_problems(what: str, text: str, limit: int) -> list[str]:
    if len(text) > limit:
        return [
            f"{what} '{_quoted(text)}' is longer than the {limit} characters "
            "QuickBooks Online allows."
        ]
    return []


def _name_problems(what: str, text: str, limit: int) -> list[str]:
    if not text:
        return [f"{what} is empty; QuickBooks Online needs one."]
    problems = _length_problems(what, text, limit)
    forbidden = mapping.forbidden_characters(text)
    if forbidden:
        problems.append(
            f"{what} '{_quoted(text)}' contains {' and '.join(forbidden)}, which QuickBooks "
            "Online does not allow in names."
        )
    return problems


TOO_BIG = f"more than QuickBooks Online can store (at most {plain_money(mapping.MAX_AMOUNT)})"


def _too_big(amount: Decimal) -> bool:
    return abs(cents(amount)) > mapping.MAX_AMOUNT


def _amount_problems(what: str, amounts: list[Decimal], *, total: Decimal) -> list[str]:
    """Line amounts (in order) and the document's total that QuickBooks cannot store."""
    problems = [
        f"Line {position}'s amount, {plain_money(amount)}, is {TOO_BIG}."
        for position, amount in enumerate(amounts, start=1)
        if _too_big(amount)
    ]
    if _too_big(total):
        problems.append(f"The {what}'s total, {plain_money(total)}, is {TOO_BIG}.")
    return problems


def _doc_number_problems(what: str, number: str) -> list[str]:
    if not number.strip():
        return [f"The {what} has no number; QuickBooks Online needs one to find it again."]
    return _length_problems(f"The {what} number", number, mapping.MAX_DOC_NUMBER)


def _numbered_identity(entity: str, payload: dict) -> dict:
    return {
        "entity": entity,
        "DocNumber": payload["DocNumber"],
        "VendorRef": payload["VendorRef"]["value"],
    }


def remember_company_profile(connection: ERPConnection, client: QuickBooksClient) -> dict:
    """Read where the company is (country, home currency, multicurrency) and keep it in the
    connection's settings: on connect, reconnect, and lazily for older connections. Returns
    the CompanyInfo read."""
    info = client.company_info()
    currency = client.preferences().get("CurrencyPrefs") or {}
    profile = {
        "country": str(info.get("Country") or "US").upper(),
        "home_currency": str((currency.get("HomeCurrency") or {}).get("value") or "USD"),
        "multicurrency": bool(currency.get("MultiCurrencyEnabled")),
    }
    connection.settings = {**(connection.settings or {}), **profile}
    connection.save(update_fields=["settings"])
    return info


def purchase_tax_codes(client: QuickBooksClient) -> list[tuple[str, str]]:
    """(id, name) of the company's active tax codes that carry purchase rates, by name."""
    return [
        (str(code["Id"]), str(code.get("Name", "")))
        for code in client.query_all("TaxCode", order_by="Name")
        if code.get("Active", True) and (code.get("PurchaseTaxRateList") or {}).get("TaxRateDetail")
    ]


def _taxed_cost_codes(record) -> list:
    """The cost codes of the lines a record sends (they need a tax code outside the US)."""
    if isinstance(record, SubcontractorInvoice):
        return [
            line.schedule_line.cost_code for line in record.lines.all() if cents(line.gross_amount)
        ]
    if isinstance(record, Commitment | CommitmentChangeOrder):
        return [line.cost_code for line in record.lines.all()]
    return []


def _has_retainage_line(record) -> bool:
    return isinstance(record, SubcontractorInvoice) and bool(
        record.totals().withheld
        or (record.is_retainage_release and cents(record.retainage_released))
    )


def _references(record) -> list[tuple[str, str, str]]:
    """(entity, id, how the accountant knows it) of each name-list record an export refers to."""
    if isinstance(record, Company):
        return []
    if isinstance(record, Project):
        parent = record.erp_parent_customer_id
        return [("Customer", parent, f"customer {parent} chosen for the job")] if parent else []
    if isinstance(record, SubcontractorInvoice):
        commitment = record.commitment
        codes = [line.schedule_line.cost_code for line in record.lines.all()]
    elif isinstance(record, CommitmentChangeOrder):
        commitment = record.commitment
        codes = [line.cost_code for line in record.lines.all()]
    else:
        commitment = record
        codes = [line.cost_code for line in record.lines.all()]
    references = [
        ("Vendor", commitment.vendor.erp_id, f"vendor '{commitment.vendor.name}'"),
        ("Customer", commitment.project.erp_id, f"job '{commitment.project}'"),
    ]
    seen = set()
    for code in codes:
        if code.erp_id and code.erp_id not in seen:
            seen.add(code.erp_id)
            references.append(("Item", code.erp_id, f"item '{code}'"))
    return [reference for reference in references if reference[1]]


def _purchase_order_prerequisites(commitment: Commitment) -> list[str]:
    problems = _link_problems(commitment.project, commitment.vendor)
    lines = list(commitment.lines.all())
    if not lines:
        problems.append("The commitment has no lines; QuickBooks Online needs at least one.")
    for line in lines:
        problems += _item_problems(line.position, line.cost_code)
        if line.quantity is not None and line.unit_cost is not None:
            product = cents(line.quantity * line.unit_cost)
            if product != cents(line.amount):
                problems.append(
                    f"Line {line.position}: quantity {mapping.plain_number(line.quantity)} x "
                    f"unit cost {mapping.plain_number(line.unit_cost)} comes to "
                    f"{plain_money(product)}, not the line amount "
                    f"{plain_money(line.amount)}."
                )
    return problems


def _change_order_prerequisites(change_order: CommitmentChangeOrder) -> list[str]:
    commitment = change_order.commitment
    problems = []
    if not commitment.erp_id:
        problems.append(
            f"Commitment '{commitment}' is not synced to QuickBooks Online yet, so its "
            "change orders cannot be added to its purchase order."
        )
    problems += _link_problems(commitment.project, None)
    lines = list(change_order.lines.all())
    if not lines:
        problems.append("The change order has no lines; there is nothing to add.")
    for number, line in enumerate(lines, start=1):
        problems += _item_problems(number, line.cost_code)
    return problems


def _bill_prerequisites(invoice: SubcontractorInvoice) -> list[str]:
    commitment = invoice.commitment
    problems = []
    if not commitment.erp_id:
        problems.append(
            f"Commitment '{commitment}' is not synced to QuickBooks Online yet, so the bill "
            "cannot be linked to its purchase order."
        )
    problems += _link_problems(commitment.project, commitment.vendor)
    for line in invoice.lines.all():
        if cents(line.gross_amount):
            problems += _item_problems(line.label, line.schedule_line.cost_code)
    total = invoice.totals().net
    if total < 0:
        problems.append(
            f"The invoice totals {plain_money(total)}; QuickBooks Online does not accept "
            "a bill with a negative total."
        )
    return problems


def _link_problems(project: Project, vendor: Company | None) -> list[str]:
    problems = []
    if not project.erp_id:
        problems.append(f"Project '{project}' is not synced to QuickBooks Online yet.")
    if vendor is not None and not vendor.erp_id:
        problems.append(f"Vendor '{vendor.name}' is not linked to a QuickBooks vendor.")
    return problems


def _item_problems(position: int, cost_code) -> list[str]:
    if cost_code.erp_id:
        return []
    return [f"Line {position} uses cost code '{cost_code}', which is not a QuickBooks Online item."]


def _ref_value(document: dict, field: str) -> str:
    ref = document.get(field)
    return str(ref.get("value", "")) if isinstance(ref, dict) else ""


def _same_vendor(existing: dict, payload: dict) -> bool:
    """Clearly ours: every detail we would have sent is what QuickBooks holds."""

    def text(document: dict, *path: str) -> str:
        value: Any = document
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return str(value or "").strip().casefold()

    paths = [("CompanyName",), ("PrimaryEmailAddr", "Address"), ("PrimaryPhone", "FreeFormNumber")]
    paths += [("BillAddr", key) for key in payload.get("BillAddr", {})]
    return all(text(existing, *path) == text(payload, *path) for path in paths)


def _ensure_active(existing: dict, what: str) -> None:
    if existing.get("Active") is False:
        raise ExportRefused(
            f"QuickBooks Online has the {what} '{existing.get('DisplayName')}', but it is "
            "inactive. Make it active in QuickBooks Online and export again.",
            code="inactive",
        )


def _total(document: dict) -> Decimal:
    if "TotalAmt" in document:
        return cents(mapping.as_decimal(document["TotalAmt"]))
    return mapping.document_total(document)


def _total_tax(document: dict) -> Decimal:
    """The purchase tax QuickBooks added (outside the US); our amounts are before tax."""
    detail = document.get("TxnTaxDetail") or {}
    return cents(mapping.as_decimal(detail.get("TotalTax") or 0))


def _pre_tax_total(document: dict) -> Decimal:
    return _total(document) - _total_tax(document)


def _check_stored_total(document: dict, expected: Decimal, label: str) -> None:
    """QuickBooks' own lines must come to ours, and its total to those lines plus the tax it
    computed; if not, a person has to look."""
    stored = _total(document)
    lines = mapping.document_total(document)
    tax = _total_tax(document)
    if lines != cents(expected) or stored != lines + tax:
        taxed = f" ({plain_money(lines)} before {plain_money(tax)} tax)" if tax else ""
        raise PermanentERPError(
            f"QuickBooks Online holds {label} (id {document.get('Id')}) with a total of "
            f"{plain_money(stored)}{taxed}, but the record totals {plain_money(expected)}"
            f"{' before tax' if tax else ''}. "
            "Check the document in QuickBooks Online before exporting again.",
            code="total_mismatch",
            response_body=mapping.jsonable(document),
        )


def _check_applied_lines(
    change_order: CommitmentChangeOrder, lines: list, applied: list[dict], purchase_order: dict
) -> None:
    """Lines marked with the change order's number are ours only if their amounts are ours:
    lines typed by hand under that number must not pass for the change order."""
    ours = sorted(cents(line.amount) for line in lines)
    found = sorted(cents(mapping.as_decimal(line.get("Amount", 0))) for line in applied)
    if found != ours:
        raise PermanentERPError(
            f"Purchase order {purchase_order.get('DocNumber', '')} in QuickBooks Online already "
            f"has {len(found)} line(s) marked as change order {change_order.number}, totalling "
            f"{plain_money(sum(found, Decimal('0.00')))}, but the change order has "
            f"{len(ours)} line(s) totalling {plain_money(sum(ours, Decimal('0.00')))}. "
            "Check the purchase order in QuickBooks Online before exporting again.",
            code="total_mismatch",
            response_body=mapping.jsonable(purchase_order),
        )


def _result(
    document: dict,
    payload: dict | None,
    *,
    linked: bool = False,
    lines: Iterable = (),
    documents: list[dict] | None = None,
    problem: str = "",
) -> ExportResult:
    """What the export left in QuickBooks; line ids pair our lines with its lines in order."""
    document_lines = documents if documents is not None else mapping.document_lines(document)
    lines = list(lines)
    line_ids = {}
    if len(lines) <= len(document_lines):
        line_ids = {
            line.pk: str(quickbooks_line["Id"])
            for line, quickbooks_line in zip(lines, document_lines, strict=False)
            if quickbooks_line.get("Id")
        }
    return ExportResult(
        erp_id=str(document["Id"]),
        version=str(document.get("SyncToken", "")),
        doc_number=str(document.get("DocNumber", "")),
        linked_existing=linked,
        line_ids=line_ids,
        request_payload=mapping.jsonable(payload) if payload is not None else None,
        response_payload=mapping.jsonable(document),
        problem=problem,
    )


def _change_orders_on_purchase_order(change_order: CommitmentChangeOrder) -> list:
    """The change orders already on the purchase order (the ones linked to it) in the order they
    were synced: from the commitment's change orders when the caller loaded them with their
    lines (a page of change orders), else in one query."""
    commitment = change_order.commitment
    if "change_orders" not in getattr(commitment, "_prefetched_objects_cache", {}):
        return list(
            CommitmentChangeOrder.objects.filter(commitment=commitment)
            .exclude(erp_id="")
            .exclude(pk=change_order.pk)
            .order_by("erp_synced_at", "pk")
            .prefetch_related("lines__cost_code", "lines__commitment_line")
        )
    linked = [
        other
        for other in commitment.change_orders.all()
        if other.erp_id and other.pk != change_order.pk
    ]
    # As the query orders them: by when they were synced, those never stamped last.
    return sorted(
        linked,
        key=lambda other: (other.erp_synced_at is None, other.erp_synced_at or 0, other.pk),
    )
