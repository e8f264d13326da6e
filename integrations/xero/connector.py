"""Xero behind the connector protocol: checks, exports, descriptions and look-ups.

A project is an option of the tracking category chosen on the connection page; a company a
contact; a commitment a purchase order (unless the organisation keeps none: a setting); a change
order appends lines to that purchase order, resending every line it has by its LineItemID; a
subcontractor invoice an ACCPAY bill, each cost line on the project's tracking option and
retainage on the retainage liability account.

Xero keeps an Idempotency-Key only 6 minutes, so every export looks its document up first
(a contact or tracking option by name, a purchase order by number, a bill by InvoiceNumber and
ContactID) and links to it when it is clearly ours; only then does it create, under the
export's key. Totals are checked to the cent before sending and as Xero stored them.
"""

from __future__ import annotations

import itertools
import math
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.conf import settings as django_settings
from django.utils import timezone

from approvals.inbound import record_title
from approvals.models import (
    Commitment,
    CommitmentChangeOrder,
    Company,
    Project,
    SubcontractorInvoice,
)
from integrations import documents
from integrations.base import (
    ApprovedDocument,
    ERPError,
    ExportResult,
    PermanentERPError,
    TransientERPError,
)
from integrations.batch_plans import plan_batch
from integrations.describe import DocumentDescription
from integrations.exported_records import reloaded, reloaded_batch
from integrations.models import ERPConnection, ERPKind
from integrations.questions import NOTHING_ASKED, AcceptQuestions
from integrations.xero import describing, errors, mapping
from integrations.xero.client import XeroClient
from integrations.xero.errors import XeroError
from integrations.xero.organisation import locked_through, read_at, remember_organisation
from money import cents, plain_money

BATCH_SIZE = 50
"""Documents per request on the batched export path (Xero recommends up to 50)."""
# A batch makes at least a look-up, then its create.
CALLS_PER_BATCH = 2
# A batch's look-up reads this many documents a page (Xero's most), pages until a short one.
LOOK_UP_PAGE_SIZE = 1000
LIVE_BILL_STATUSES = "DRAFT,SUBMITTED,AUTHORISED,PAID"
CHANGEABLE_ORDER_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED")
NO_PURCHASE_ORDERS = (
    "This Xero organisation keeps no purchase orders (a choice on the Xero connection page), "
    "so commitments and their change orders are not sent; invoices go to Xero as bills "
    "without them."
)


# Each worker's last read of each connection's items: connection id -> (when, items by id).
_items_read: dict[int, tuple[float, dict[str, dict]]] = {}


def _items_not_held(codes, items: dict[str, dict]) -> list[str]:
    """Why Xero's `items` (by id) cannot take the lines of `codes`: an item gone, or coded
    otherwise than its cost code."""
    problems = []
    for code in codes:
        item = items.get(code.erp_id)
        if item is None:
            problems.append(
                f"Cost code '{code}' is linked to a Xero item (id {code.erp_id}) that Xero "
                "no longer holds. Import the cost codes again, or link it to another item."
            )
        elif str(item.get("Code", "")) != code.code:
            problems.append(
                f"Cost code '{code}' is linked to the Xero item coded '{item.get('Code')}', "
                f"not '{code.code}'. Import the cost codes again so the codes agree."
            )
    return problems


class ExportRefused(PermanentERPError):
    """The record cannot go to Xero as it stands; nothing was sent."""


@dataclass(frozen=True)
class _Create:
    """A create an export still has to send, alone or as one element of a batch: `finish`
    turns the document Xero stored into the export's result."""

    resource: str  # Xero's collection, which is also the envelope of the request's body
    payload: dict
    finish: Callable[[dict], ExportResult]


@dataclass(frozen=True)
class _RecordType:
    """Each step of getting one of our record types into Xero."""

    prerequisites: Callable[[Any], list[str]]
    problems: Callable[[Any], list[str]]
    approved: Callable[[Any], tuple[dict, dict]]
    describe: Callable[[Any], DocumentDescription]
    # the export done at once (a tracking option, a change order's update), or the create
    # still to send, alone or with others of its type in one request
    plan: Callable[[Any, str], ExportResult | _Create]
    find_exported: Callable[[Any, dict, dict], ExportResult | None]


class XeroConnector:
    kind = ERPKind.XERO
    display_name = "Xero"

    def __init__(self, connection: ERPConnection, client: XeroClient | None = None):
        self.connection = connection
        self._client = client
        # What a batch's one look-up said: (resource, number or name) -> the documents found.
        self._looked_up: dict[tuple[str, str], list[dict]] = {}
        # Xero's items for the check of each record of a batch: as this worker read them in the
        # last ERP_CLOSING_DATE_MAX_AGE_SECONDS (what Xero stores is checked after the create),
        # read again before a cost code's item is refused (an item linked since would look
        # missing). An export alone reads them at the time.
        self._batch_items: dict[str, dict] | None = None
        self._items_read_in_this_export = False
        # Documents a batch settled its records with, not saved on them yet: id -> record.
        self._settled_in_batch: dict[str, Any] = {}

    @property
    def client(self) -> XeroClient:
        """Opened on first use: checking a record for problems needs no HTTP."""
        if self._client is None:
            self._client = XeroClient(self.connection)
        return self._client

    @property
    def settings(self) -> dict:
        return self.connection.settings or {}

    @property
    def books(self) -> mapping.Books:
        return mapping.Books.of(self.settings)

    def _becomes(self, record) -> _RecordType:
        return self._record_types[type(record)]

    @cached_property
    def _record_types(self) -> dict[type, _RecordType]:
        """The one table of what each of our record types becomes in Xero."""
        return {
            # A project is an option of the tracking category chosen for projects.
            Project: _RecordType(
                prerequisites=self._option_prerequisites,
                problems=self._option_problems,
                approved=self._approved_option,
                describe=self._describe_option,
                plan=self._option_plan,
                find_exported=self._exported_option,
            ),
            # A company is a contact, linked by name when clearly the same business.
            Company: _RecordType(
                prerequisites=lambda company: [],
                problems=self._contact_problems,
                approved=self._approved_contact,
                describe=self._describe_contact,
                plan=self._contact_plan,
                find_exported=self._exported_contact,
            ),
            # A commitment is a purchase order, one line per schedule-of-values line.
            Commitment: _RecordType(
                prerequisites=self._order_prerequisites,
                problems=self._order_problems,
                approved=self._approved_order,
                describe=self._describe_order,
                plan=self._order_plan,
                find_exported=self._exported_order,
            ),
            # A change order appends its lines to the purchase order (lines changing one line
            # summed), every existing line resent by its LineItemID so Xero keeps it.
            CommitmentChangeOrder: _RecordType(
                prerequisites=self._change_prerequisites,
                problems=self._change_problems,
                approved=self._approved_change,
                describe=self._describe_change,
                plan=self._change_plan,
                find_exported=self._exported_change,
            ),
            # A subcontractor invoice is an ACCPAY bill.
            SubcontractorInvoice: _RecordType(
                prerequisites=self._bill_prerequisites,
                problems=self._bill_problems,
                approved=self._approved_bill,
                describe=self._describe_bill,
                plan=self._bill_plan,
                find_exported=self._exported_bill,
            ),
        }

    # Checks -----------------------------------------------------------------------------

    def export_problems(self, record) -> list[str]:
        """Why Xero in particular would refuse `record`, in an accountant's words (what every
        ERP needs is said by approvals.preconditions)."""
        return self._becomes(record).problems(record)

    def _setting_problems(self, *names: str) -> list[str]:
        labels = {
            "tracking_category_id": "the tracking category of projects",
            "item_account_code": "the expense account of items",
            "retainage_account_code": "the retainage liability account",
            "tax_type": "the default tax rate",
            "retainage_tax_type": "the tax rate of retainage lines",
        }
        missing = [labels[name] for name in names if not self.settings.get(name)]
        if self.books.line_amount_types == "NoTax":
            missing = [label for label in missing if "tax rate" not in label]
        if not missing:
            return []
        return [
            f"The Xero connection does not say {', '.join(missing)} yet. An administrator "
            "chooses them on the Xero connection page (ERP Integrations)."
        ]

    def _option_prerequisites(self, project: Project) -> list[str]:
        return self._setting_problems("tracking_category_id")

    def _option_problems(self, project: Project) -> list[str]:
        return [] if mapping.option_name(project) else ["The project has no number or name."]

    def _contact_problems(self, company: Company) -> list[str]:
        name = mapping.contact_name(company)
        if not name:
            return ["The company name is empty; Xero needs one."]
        if len(name) > mapping.MAX_NAME:
            return [
                f"The company name is longer than the {mapping.MAX_NAME} characters Xero allows."
            ]
        return []

    def exports_commitments(self) -> bool:
        """Whether commitments become purchase orders: a choice of the connection page."""
        return bool(self.settings.get("purchase_orders", True))

    def _order_prerequisites(self, commitment: Commitment) -> list[str]:
        problems = self._setting_problems("tracking_category_id", "item_account_code", "tax_type")
        problems += _link_problems(commitment.project, commitment.vendor)
        lines = list(commitment.lines.all())
        if not lines:
            problems.append("The commitment has no lines; Xero needs at least one.")
        for line in lines:
            problems += _item_problems(line.position, line.cost_code)
            if line.quantity is not None and line.unit_cost is not None:
                product = cents(line.quantity * line.unit_cost)
                if product != cents(line.amount):
                    problems.append(
                        f"Line {line.position}: quantity {mapping.plain_number(line.quantity)} x "
                        f"unit cost {mapping.plain_number(line.unit_cost)} comes to "
                        f"{plain_money(product)}, not the line amount {plain_money(line.amount)}."
                    )
        return problems

    def _order_problems(self, commitment: Commitment) -> list[str]:
        problems = []
        if not self.exports_commitments():
            problems.append(NO_PURCHASE_ORDERS)
        problems += _number_problems("commitment", commitment.number)
        problems += self._currency_problems("commitment", commitment.currency)
        problems += self._lock_date_problems("commitment", commitment.posting_date)
        return problems + _amount_problems(
            "commitment", [line.amount for line in commitment.lines.all()]
        )

    def _change_prerequisites(self, change_order: CommitmentChangeOrder) -> list[str]:
        commitment = change_order.commitment
        problems = self._setting_problems("tracking_category_id", "item_account_code", "tax_type")
        if not commitment.erp_id:
            problems.append(
                f"Commitment '{commitment}' is not in Xero as a purchase order yet, so its "
                "change orders cannot be added to it."
            )
        problems += _link_problems(commitment.project, None)
        lines = list(change_order.lines.all())
        if not lines:
            problems.append("The change order has no lines; there is nothing to add.")
        for number, line in enumerate(lines, start=1):
            problems += _item_problems(number, line.cost_code)
        return problems

    def _change_problems(self, change_order: CommitmentChangeOrder) -> list[str]:
        problems = [] if self.exports_commitments() else [NO_PURCHASE_ORDERS]
        problems += self._lock_date_problems("change order", change_order.posting_date)
        return problems + _amount_problems(
            "change order", [line.amount for line in change_order.lines.all()]
        )

    def _bill_prerequisites(self, invoice: SubcontractorInvoice) -> list[str]:
        commitment = invoice.commitment
        problems = self._setting_problems("tracking_category_id", "item_account_code", "tax_type")
        if _has_retainage_line(invoice):
            problems += self._setting_problems("retainage_account_code", "retainage_tax_type")
        problems += _link_problems(commitment.project, commitment.vendor)
        for line in invoice.lines.all():
            if cents(line.gross_amount):
                problems += _item_problems(line.label, line.schedule_line.cost_code)
        total = invoice.totals().net
        if total < 0:
            problems.append(
                f"The invoice totals {plain_money(total)}; Xero does not accept a bill with a "
                "negative total."
            )
        return problems

    def _bill_problems(self, invoice: SubcontractorInvoice) -> list[str]:
        problems = _number_problems("invoice", invoice.number)
        problems += self._currency_problems("invoice's commitment", invoice.commitment.currency)
        problems += self._lock_date_problems(
            "invoice", invoice.posting_date or invoice.billing_date
        )
        lines = list(invoice.lines.all())
        billed = any(cents(line.gross_amount) or cents(line.retainage_withheld) for line in lines)
        if not billed and not invoice.is_retainage_release:
            problems.append("The invoice bills nothing; Xero needs at least one line.")
        return problems + _amount_problems("invoice", [line.gross_amount for line in lines])

    def _currency_problems(self, what: str, currency: str) -> list[str]:
        base = self.settings.get("base_currency", "")
        if base and currency and currency != base:
            return [
                f"The {what} is in {currency}, but the Xero organisation keeps its books in "
                f"{base}; records in another currency are not sent to Xero."
            ]
        return []

    def _lock_date_problems(self, what: str, posting_date: date | None) -> list[str]:
        locked = locked_through(self.settings)
        if posting_date is None or locked is None or posting_date > locked:
            return []
        return [
            f"Xero's books are locked through {locked.isoformat()}, so this {what} cannot post "
            f"on {posting_date.isoformat()}. Choose a later posting date, or have the lock date "
            "moved in Xero."
        ]

    # Exports ----------------------------------------------------------------------------

    def export(self, record, *, idempotency_key: str) -> ExportResult:
        record = reloaded(record)
        self._read_organisation_when_stale()
        try:
            plan = self._plan(record, idempotency_key)
            if isinstance(plan, ExportResult):
                return plan
            created = self.client.create(
                plan.resource,
                {plan.resource: [plan.payload]},
                idempotency_key=idempotency_key,
                unitdp=4,
            )[plan.resource][0]
            return plan.finish(created)
        except XeroError as error:
            explained = self._explained(record, error)
            if explained is error:
                raise
            raise explained from error

    def export_batch_size(self, model) -> int:
        """Contacts, purchase orders and bills are created up to 50 in one request; a tracking
        option is created alone (Xero takes one per request) and a change order updates its
        purchase order as Xero holds it now, so each goes alone."""
        return BATCH_SIZE if model in (Company, Commitment, SubcontractorInvoice) else 1

    def export_batch(
        self, records: list, *, idempotency_keys: list[str]
    ) -> list[ExportResult | ERPError]:
        """Records of one type in one request of creates (`summarizeErrors=false`: each element
        stored or refused on its own), each looked up first as its export alone would be, in one
        call for the whole batch (bills by InvoiceNumbers and ContactIDs, purchase orders by the
        dates they carry, contacts by name).

        An element's outcome is its ExportResult or its own ERPError; when the request as a whole
        got no usable answer, each element sent has that error (one without a status: the answer
        was lost, and Xero may hold some of them; each one's look-up tells)."""
        self._items_read_in_this_export = False
        keys, records = reloaded_batch(records, idempotency_keys)
        try:
            # The look-up is spent in vain if the create then finds no room: ask for both.
            self.client.expect_calls(CALLS_PER_BATCH)
            self._read_organisation_when_stale()
            if any(map(_cost_codes, records.values())):
                self._batch_items = self._recent_items()
            self._look_up(list(records.values()))
        except ERPError as error:
            # Nothing was sent: each record's try ends in what stopped the look-up.
            self._batch_items = None
            return [error] * len(keys)
        batch = plan_batch(
            keys,
            records,
            identity_of=_identity_of,
            plan=self._plan,
            explained=self._explained_if_it_can,
        )
        self._looked_up.clear()
        self._batch_items = None
        batch.send(self._send_batch)
        self._settled_in_batch = {
            outcome.erp_id: records[pk]
            for pk, outcome in batch.outcomes.items()
            if isinstance(outcome, ExportResult)
        }
        batch.export_after(self.export)
        self._settled_in_batch = {}
        return batch.in_order()

    def _send_batch(self, records: dict, plans: dict[int, _Create]) -> dict:
        (resource,) = {plan.resource for plan in plans.values()}
        try:
            answer = self.client.create(
                resource,
                {resource: [plan.payload for plan in plans.values()]},
                idempotency_key=uuid.uuid4().hex,
                unitdp=4,
                each_on_its_own=True,
            )
            elements = answer[resource]
            if len(elements) != len(plans):
                raise TransientERPError(
                    f"Xero answered {len(elements)} of the {len(plans)} documents sent; we will "
                    "look each one up and try again.",
                    detail=f"{resource}: {len(elements)} elements answered, {len(plans)} sent",
                )
        except ERPError as error:
            return dict.fromkeys(plans, error)
        outcomes: dict[int, ExportResult | ERPError] = {}
        for (pk, plan), element in zip(plans.items(), elements, strict=True):
            try:
                refusal = errors.element_refusal(element)
                if refusal is not None:
                    outcomes[pk] = self._explained_if_it_can(records[pk], refusal)
                else:
                    outcomes[pk] = plan.finish(element)
            except ERPError as error:
                outcomes[pk] = error
        return outcomes

    def _plan(self, record, key: str) -> ExportResult | _Create:
        """What exporting `record` takes: the create still to send (alone or in a batch), or the
        result when the look-up found the document already (a tracking option or a change order
        is exported here)."""
        problems = self._becomes(record).prerequisites(record) + self.export_problems(record)
        if problems:
            raise ExportRefused(" ".join(problems), code="export_problems")
        self._check_items(record)
        return self._becomes(record).plan(record, key)

    def _explained(self, record, error: XeroError) -> XeroError:
        if error.code != "ValidationException":
            return error
        # Items are read again only when Xero's refusal is about one (a read for every
        # refusal of a batch would cost a call each).
        about_items = any("item code" in m.casefold() for m in error.validation_errors)
        unusable_items = self._unusable_items(record) if about_items else []
        return _explained(error, self._unusable_references(record), unusable_items)

    def _explained_if_it_can(self, record, error: ERPError) -> ERPError:
        """In a batch, one element's explanation that Xero cannot give now (a read throttled,
        say) leaves its error as Xero said it, and the other elements as they are; an error
        that is not Xero's refusal stays as it is."""
        if not isinstance(error, XeroError):
            return error
        try:
            return self._explained(record, error)
        except ERPError:
            return error

    def _look_up(self, records: list) -> None:
        """The documents a batch's records may already be in Xero as, in one call, kept for the
        plan of each (a number or name without a document is kept as such)."""
        model = type(records[0])
        if model is SubcontractorInvoice:
            numbers = sorted({invoice.number for invoice in records})
            contact_ids = sorted({invoice.commitment.vendor.erp_id for invoice in records})
            found = self._bills_numbered(numbers, contact_ids)
            self._keep_looked_up("Invoices", numbers, found, "InvoiceNumber")
        elif model is Commitment:
            numbers = sorted({commitment.number for commitment in records})
            found = self._orders_dated(records)
            self._keep_looked_up("PurchaseOrders", numbers, found, "PurchaseOrderNumber")
        elif model is Company:
            names = sorted(
                {_name_key(mapping.contact_payload(company)["Name"]) for company in records}
            )
            found = self.client.get("Contacts", params={"where": _names_where(names)})["Contacts"]
            self._looked_up.update({("Contacts", name): [] for name in names})
            for contact in found:
                key = ("Contacts", _name_key(str(contact.get("Name", ""))))
                if key in self._looked_up:
                    self._looked_up[key].append(contact)

    def _keep_looked_up(self, resource: str, numbers: list[str], found: list[dict], field: str):
        kept = {number.casefold(): [] for number in numbers}
        for document in found:
            number = str(document.get(field, "")).casefold()
            if number in kept:
                kept[number].append(document)
        self._looked_up.update({(resource, number): rows for number, rows in kept.items()})

    def _check_items(self, record) -> None:
        """Each line's cost code is linked to an item by its id; Xero's lines name items by
        code: the item must still be there, under the cost code's code. A refusal is never
        made on an earlier read alone: an item linked since would look missing."""
        codes = _cost_codes(record)
        if not codes:
            return
        if self._batch_items is None:
            # Alone, the items are read now: Xero finds a line's item by its code, and an item
            # recoded since an earlier read would put the bill on another item.
            problems = _items_not_held(codes, self._read_items_now())
        else:
            problems = _items_not_held(codes, self._batch_items)
            if problems and not self._items_read_in_this_export:
                self._batch_items = self._read_items_now()
                problems = _items_not_held(codes, self._batch_items)
        if problems:
            raise ExportRefused(" ".join(problems), code="missing_reference")

    def _items_by_id(self) -> dict[str, dict]:
        return {str(item["ItemID"]): item for item in self.client.get("Items")["Items"]}

    def _unusable_items(self, record) -> list[str]:
        """Which of the record's cost codes' items Xero no longer holds under their codes, read
        now: this worker's next batches use this read too, not the one Xero just contradicted."""
        codes = _cost_codes(record)
        if not codes:
            return []
        items = _items_read[self.connection.pk] = (time.monotonic(), self._items_by_id())
        unusable = []
        for code in codes:
            item = items[1].get(code.erp_id)
            if item is None:
                unusable.append(f"the item of cost code '{code}' no longer exists")
            elif str(item.get("Code", "")) != code.code:
                unusable.append(
                    f"the item of cost code '{code}' is now coded '{item.get('Code', '')}'"
                )
        return unusable

    def _check_stored_items(self, document: dict, record, label: str) -> None:
        """Xero finds a line's item by its code: the item it stored on each line is the one the
        cost code is linked to, not another given that code since this worker read the items."""
        wrong = _wrong_items(document, record)
        if not wrong:
            return
        _items_read.pop(self.connection.pk, None)
        raise PermanentERPError(
            f"Xero stored {label} with {'; '.join(wrong)}: the items were changed in Xero since "
            f"we last read them. Delete {label} in Xero (or correct its lines), import the cost "
            "codes again, then export again.",
            code="wrong_item",
            response_body=mapping.jsonable(document),
        )

    def _recent_items(self) -> dict[str, dict]:
        """Xero's items for a batch: read again when this worker's last read is older than
        ERP_CLOSING_DATE_MAX_AGE_SECONDS (the freshness the lock dates have), so a stream of
        batches spends its calls on look-ups and creates (one of each per 50 documents). What
        Xero stores is checked against the cost codes after each create."""
        max_age = django_settings.ERP_CLOSING_DATE_MAX_AGE_SECONDS
        if self._items_read_seconds_ago() >= max_age:
            return self._read_items_now()
        return _items_read[self.connection.pk][1]

    def _read_items_now(self) -> dict[str, dict]:
        items = self._items_by_id()
        _items_read[self.connection.pk] = (time.monotonic(), items)
        self._items_read_in_this_export = True
        return items

    def _items_read_seconds_ago(self) -> float:
        read = _items_read.get(self.connection.pk)
        return math.inf if read is None else time.monotonic() - read[0]

    def _unusable_references(self, record) -> list[str]:
        """Which of the record's contact and tracking option Xero can no longer use."""
        unusable = []
        vendor = _vendor_of(record)
        if vendor is not None and vendor.erp_id:
            contact = self.client.find("Contacts", vendor.erp_id)
            if contact is None:
                unusable.append(f"contact '{vendor.name}' no longer exists")
            elif contact.get("ContactStatus") != "ACTIVE":
                unusable.append(f"contact '{vendor.name}' is archived (inactive)")
        project = _project_of(record)
        if project is not None and project.erp_id and self.books.tracking_category_id:
            category = self.client.get(
                f"TrackingCategories/{self.books.tracking_category_id}",
                params={"includeArchived": "true"},
            )["TrackingCategories"]
            options = {
                str(o["TrackingOptionID"]): o
                for o in (category[0].get("Options") if category else [])
            }
            option = options.get(project.erp_id)
            if option is None:
                unusable.append(f"the tracking option of project '{project}' no longer exists")
            elif option.get("Status") != "ACTIVE":
                unusable.append(
                    f"the tracking option of project '{project}' is archived (inactive)"
                )
        return unusable

    def _read_organisation_when_stale(self) -> None:
        """Currency and lock dates as Xero has them now: read again when older than
        ERP_CLOSING_DATE_MAX_AGE_SECONDS (someone may have moved a lock date meanwhile)."""
        last = read_at(self.settings)
        max_age = timedelta(seconds=django_settings.ERP_CLOSING_DATE_MAX_AGE_SECONDS)
        if last is None or timezone.now() - last >= max_age:
            remember_organisation(self.connection, self.client)

    def _option_plan(self, project: Project, key: str) -> ExportResult:
        payload = mapping.tracking_option_payload(project)
        category_id = self.books.tracking_category_id
        category = self._category()
        existing = _named(category.get("Options") or [], payload["Name"])
        if existing is not None:
            if existing.get("Status") != "ACTIVE":
                raise ExportRefused(
                    f"Xero has the tracking option '{existing['Name']}' in category "
                    f"'{category['Name']}', but it is archived. Restore it in Xero (Settings → "
                    "Tracking categories), then export again.",
                    code="inactive",
                )
            self._refuse_if_taken(project, existing["TrackingOptionID"], "tracking option")
            return _option_result(existing, None, linked=True)
        try:
            created = self.client.create(
                f"TrackingCategories/{category_id}/Options", payload, idempotency_key=key
            )["Options"][0]
        except XeroError as error:
            if "active options" not in error.detail:
                raise
            raise ExportRefused(
                f"Xero refused a new option in tracking category '{category['Name']}': it "
                f"already has as many active options as Xero allows. Make room by archiving "
                "the option of a finished project (in Xero under Settings → Tracking "
                "categories, or here with the action 'Archive the Xero tracking option' on a "
                "closed project), then export again.",
                code="category_full",
                detail=error.detail,
                status=error.status,
                response_body=error.response_body,
            ) from error
        return _option_result(created, payload)

    def _category(self) -> dict:
        category_id = self.books.tracking_category_id
        found = self.client.get(
            f"TrackingCategories/{category_id}", params={"includeArchived": "true"}
        )["TrackingCategories"]
        if not found or found[0].get("Status") != "ACTIVE":
            raise ExportRefused(
                "The tracking category chosen for projects is no longer active in Xero. An "
                "administrator chooses another on the Xero connection page.",
                code="inactive",
            )
        return found[0]

    def _contact_plan(self, company: Company, key: str) -> ExportResult | _Create:
        payload = mapping.contact_payload(company)
        existing = self._contact_named(payload["Name"])
        if existing is not None:
            if not _same_contact(existing, payload):
                raise ExportRefused(
                    f"Xero already has a contact named '{payload['Name']}' whose details differ "
                    "from this company's. Link the company to that contact, or rename one of "
                    "them.",
                    code="name_taken",
                )
            self._refuse_if_taken(company, existing["ContactID"], "contact")
            return _contact_result(existing, None, linked=True)
        return _Create("Contacts", payload, lambda created: _contact_result(created, payload))

    def _contact_named(self, name: str) -> dict | None:
        """The active contact under `name`: from the batch's one look-up when it asked for the
        name, else from Xero."""
        found = self._looked_up.pop(("Contacts", _name_key(name)), None)
        if found is None:
            found = self.client.get("Contacts", params={"where": _names_where([name])})["Contacts"]
        active = [c for c in found if c.get("ContactStatus") == "ACTIVE"]
        return active[0] if active else None

    def _order_plan(self, commitment: Commitment, key: str) -> ExportResult | _Create:
        payload = mapping.purchase_order_payload(commitment, self.books)
        expected = sum((cents(line.amount) for line in commitment.lines.all()), Decimal("0.00"))
        mapping.ensure_total_matches(payload, expected)
        found = self._order_numbered(commitment.number)
        if found is not None:
            if not self._is_the_approved(commitment, found, payload, "ContactID"):
                raise ExportRefused(
                    f"Xero already has a purchase order numbered {commitment.number} that is "
                    "not this commitment (another contact or other lines). Give the commitment "
                    "its own number (reject it so its sender can), then export again.",
                    code="document_taken",
                    response_body=mapping.jsonable(found),
                )
            return _order_result(found, None, commitment, linked=True)

        def finish(created: dict) -> ExportResult:
            _check_stored_total(created, expected, f"purchase order {commitment.number}")
            self._check_stored_items(created, commitment, f"purchase order {commitment.number}")
            return _order_result(created, payload, commitment)

        return _Create("PurchaseOrders", payload, finish)

    def _order_numbered(self, number: str) -> dict | None:
        """The purchase order under `number`, unless deleted: from the batch's one look-up when
        it asked for the number, else from Xero."""
        listed = self._looked_up.pop(("PurchaseOrders", number.casefold()), None)
        if listed is None:
            found = self.client.find("PurchaseOrders", number)
            listed = [found] if found is not None else []
        live = [
            order
            for order in listed
            if order.get("Status") != "DELETED" and order.get("PurchaseOrderNumber") == number
        ]
        return live[0] if live else None

    def _orders_dated(self, commitments: list[Commitment]) -> list[dict]:
        """Xero has no filter by purchase-order number but one by date: the orders of every day
        a purchase order of these commitments can carry (`order_date_windows`), every page of
        each window read."""
        found: dict[str, dict] = {}
        for start, end in order_date_windows(commitments, today=timezone.localdate()):
            params = {
                "DateFrom": start.isoformat(),
                "DateTo": end.isoformat(),
                "pageSize": LOOK_UP_PAGE_SIZE,
                "unitdp": 4,
            }
            for page in itertools.count(1):
                rows = self.client.get("PurchaseOrders", params={**params, "page": page})[
                    "PurchaseOrders"
                ]
                found.update((str(row["PurchaseOrderID"]), row) for row in rows)
                if len(rows) < LOOK_UP_PAGE_SIZE:
                    break
        return list(found.values())

    def _change_plan(self, change_order: CommitmentChangeOrder, key: str) -> ExportResult:
        order = self._order(change_order.commitment.erp_id)
        marker = documents.change_order_marker(change_order)
        applied = _applied_lines(order, marker)
        groups = documents.change_order_groups(change_order)
        if applied:
            _check_applied(change_order, groups, applied, order)
            return _change_result(order, None, groups, applied, linked=True)
        number = order.get("PurchaseOrderNumber", "")
        if order.get("Status") not in CHANGEABLE_ORDER_STATUSES:
            raise ExportRefused(_unchangeable_order(order), code="order_not_changeable")
        payload = mapping.change_order_update_payload(
            change_order, self.books, purchase_order=order
        )
        expected = mapping.lines_total(order) + mapping.change_order_total(change_order)
        if expected < 0:
            raise ExportRefused(
                f"Change order {change_order.number} would bring purchase order {number} below "
                f"zero ({plain_money(expected)}).",
                code="negative_total",
            )
        mapping.ensure_total_matches(payload, expected)
        try:
            updated = self.client.update(
                f"PurchaseOrders/{order['PurchaseOrderID']}",
                {"PurchaseOrders": [payload]},
                idempotency_key=key,
                unitdp=4,
            )["PurchaseOrders"][0]
        except XeroError as error:
            raise self._order_refusal(order, error) from error
        _check_stored_total(updated, expected, f"purchase order {number}")
        _check_kept_lines(order, updated)
        return _change_result(updated, payload, groups, _applied_lines(updated, marker))

    def _order_refusal(self, order: dict, error: XeroError) -> PermanentERPError:
        """Xero refused the update: when the purchase order stopped being changeable since it was
        read (marked as billed meanwhile, say), that is what the accountant is told."""
        if error.code != "ValidationException":
            return error
        now = self.client.find("PurchaseOrders", order["PurchaseOrderID"]) or order
        if now.get("Status") in CHANGEABLE_ORDER_STATUSES:
            return error
        return ExportRefused(
            _unchangeable_order(now),
            code="order_not_changeable",
            detail=error.detail,
            status=error.status,
            response_body=error.response_body,
        )

    def _order(self, order_id: str) -> dict:
        found = self.client.find("PurchaseOrders", order_id)
        if found is None:
            raise ExportRefused(
                "The purchase order this change order adds to is no longer in Xero. Unlink the "
                "commitment once its purchase order is gone, and send it again.",
                code="missing_order",
            )
        return found

    def _bill_plan(self, invoice: SubcontractorInvoice, key: str) -> ExportResult | _Create:
        payload = mapping.bill_payload(invoice, self.books)
        expected = invoice.totals().net
        mapping.ensure_total_matches(payload, expected)
        vendor_id = invoice.commitment.vendor.erp_id
        found = self._bill_numbered(invoice.number, vendor_id)
        if found is not None:
            if not self._is_the_approved(invoice, found, payload, "InvoiceID"):
                raise ExportRefused(
                    f"Xero already has a bill {invoice.number} from contact "
                    f"'{invoice.commitment.vendor.name}' that books other lines than this "
                    "invoice. Check that bill in Xero: if it is this invoice keyed by hand, "
                    "delete or void one of them; otherwise give this invoice its own number.",
                    code="document_taken",
                    response_body=mapping.jsonable(found),
                )
            return _bill_result(found, None, invoice, linked=True)

        def finish(created: dict) -> ExportResult:
            _check_stored_total(created, expected, f"bill {invoice.number}")
            self._check_stored_items(created, invoice, f"bill {invoice.number}")
            return _bill_result(created, payload, invoice)

        return _Create("Invoices", payload, finish)

    def _bill_numbered(self, number: str, contact_id: str) -> dict | None:
        """The live bill from the contact under `number`: from the batch's one look-up when it
        asked for the number, else from Xero."""
        found = self._looked_up.pop(("Invoices", number.casefold()), None)
        if found is None:
            found = self._bills_numbered([number], [contact_id])
        bills = [
            bill
            for bill in found
            if bill.get("Type") == "ACCPAY"
            and str(bill.get("InvoiceNumber", "")).casefold() == number.casefold()
            and (bill.get("Contact") or {}).get("ContactID") == contact_id
        ]
        return bills[0] if bills else None

    def _bills_numbered(self, numbers: list[str], contact_ids: list[str]) -> list[dict]:
        """Xero's live bills with any of `numbers` from any of the contacts, every page read."""
        params = {
            "InvoiceNumbers": ",".join(numbers),
            "ContactIDs": ",".join(contact_ids),
            "Statuses": LIVE_BILL_STATUSES,
            "pageSize": LOOK_UP_PAGE_SIZE,
            "unitdp": 4,
        }
        found: list[dict] = []
        for page in itertools.count(1):
            rows = self.client.get("Invoices", params={**params, "page": page})["Invoices"]
            found.extend(rows)
            if len(rows) < LOOK_UP_PAGE_SIZE:
                return found
        raise AssertionError("unreachable")

    def archive_tracking_option(self, project: Project, *, idempotency_key: str) -> None:
        """Archive the project's option in the projects' tracking category (room for others)."""
        category_id = self.books.tracking_category_id
        self.client.update(
            f"TrackingCategories/{category_id}/Options/{project.erp_id}",
            {"Status": "ARCHIVED"},
            idempotency_key=idempotency_key,
        )

    # What an accept approves, and what the last attempt left ---------------------------

    def approved_document(self, record) -> ApprovedDocument:
        document, identity = self._becomes(record).approved(record)
        return ApprovedDocument(document=document, identity=identity)

    def _approved_option(self, project: Project) -> tuple[dict, dict]:
        payload = mapping.tracking_option_payload(project)
        category = self.books.tracking_category_id
        return {**payload, "TrackingCategoryID": category}, {
            "TrackingOption": payload["Name"],
            "TrackingCategoryID": category,
        }

    def _approved_contact(self, company: Company) -> tuple[dict, dict]:
        payload = mapping.contact_payload(company)
        return payload, {"Contact": payload["Name"]}

    def _approved_order(self, commitment: Commitment) -> tuple[dict, dict]:
        payload = mapping.purchase_order_payload(commitment, self.books)
        return payload, {
            "PurchaseOrderNumber": payload["PurchaseOrderNumber"],
            "ContactID": payload["Contact"]["ContactID"],
        }

    def _approved_change(self, change_order: CommitmentChangeOrder) -> tuple[dict, dict]:
        order_id = change_order.commitment.erp_id
        lines = mapping.change_order_added_lines(change_order, self.books)
        return {"PurchaseOrderID": order_id, "LineItems": lines}, {
            "PurchaseOrderID": order_id,
            "Marker": documents.change_order_marker(change_order),
        }

    def _approved_bill(self, invoice: SubcontractorInvoice) -> tuple[dict, dict]:
        payload = mapping.bill_payload(invoice, self.books)
        return payload, {
            "InvoiceNumber": payload["InvoiceNumber"],
            "ContactID": payload["Contact"]["ContactID"],
        }

    def find_exported(self, record, approved: ApprovedDocument | None) -> ExportResult | None:
        record = reloaded(record)
        approved = approved or self.approved_document(record)
        return self._becomes(record).find_exported(record, approved.identity, approved.document)

    def _exported_option(self, project, identity: dict, document: dict):
        try:
            category = self.client.get(
                f"TrackingCategories/{identity['TrackingCategoryID']}",
                params={"includeArchived": "true"},
            )["TrackingCategories"]
        except XeroError as error:
            if error.status != 404:
                raise
            # The category the accept named is not in this organisation (deleted, or the
            # connection changed since): no option of ours can be in it.
            return None
        existing = _named(
            (category[0].get("Options") or []) if category else [], identity["TrackingOption"]
        )
        if existing is None or self._linked_elsewhere(project, existing["TrackingOptionID"]):
            return None
        return _option_result(existing, None, linked=True)

    def _exported_contact(self, company, identity: dict, document: dict):
        existing = self._contact_named(identity["Contact"])
        if (
            existing is None
            or not _same_contact(existing, document)
            or self._linked_elsewhere(company, existing["ContactID"])
        ):
            return None
        return _contact_result(existing, None, linked=True)

    def _exported_order(self, commitment, identity: dict, document: dict):
        found = self._order_numbered(identity["PurchaseOrderNumber"])
        if not self._is_the_approved(commitment, found, document, "ContactID"):
            return None
        return _order_result(found, None, commitment, linked=True)

    def _exported_change(self, change_order, identity: dict, document: dict):
        if not identity["PurchaseOrderID"]:
            return None
        order = self.client.find("PurchaseOrders", identity["PurchaseOrderID"])
        applied = _applied_lines(order or {}, identity["Marker"])
        if not applied:
            return None
        groups = documents.change_order_groups(change_order)
        _check_applied(change_order, groups, applied, order)
        return _change_result(order, None, groups, applied, linked=True)

    def _exported_bill(self, invoice, identity: dict, document: dict):
        found = self._bill_numbered(identity["InvoiceNumber"], identity["ContactID"])
        if not self._is_the_approved(invoice, found, document, "InvoiceID"):
            return None
        return _bill_result(found, None, invoice, linked=True)

    def _is_the_approved(self, record, found: dict | None, document: dict, id_field: str) -> bool:
        """A document found by number is the one approved only if it is for the same contact,
        books the approved lines, and no other record here is linked to it."""
        if found is None:
            return False
        document_id = found.get("PurchaseOrderID") or found.get("InvoiceID")
        if self._linked_elsewhere(record, str(document_id)):
            return False
        same_contact = (found.get("Contact") or {}).get("ContactID") == document["Contact"][
            "ContactID"
        ]
        same_lines = mapping.line_signatures(found) == mapping.line_signatures(document)
        return same_contact and same_lines and not _wrong_items(found, record)

    def _linked_elsewhere(self, record, erp_id: str):
        settled = self._settled_in_batch.get(str(erp_id))
        if settled is not None and settled.pk != record.pk:
            return settled
        return (
            type(record)
            .objects.filter(erp_connection=self.connection, erp_id=str(erp_id))
            .exclude(pk=record.pk)
            .first()
        )

    def _refuse_if_taken(self, record, erp_id: str, label: str) -> None:
        owner = self._linked_elsewhere(record, erp_id)
        if owner is None:
            return
        raise ExportRefused(
            f"Xero's {label} (id {erp_id}) already belongs to {record_title(owner)} here, so "
            "this record was not linked to it and nothing was sent.",
            code="document_taken",
        )

    # What an accept asks ---------------------------------------------------------------

    def accept_questions(self, model) -> AcceptQuestions:
        """A company or project that looks like an imported contact or tracking option is
        linked to it, or created for a stated reason."""
        if model is Project:
            return AcceptQuestions(link_or_create=True, link_noun="tracking option")
        if model is Company:
            return AcceptQuestions(link_or_create=True, link_noun="contact")
        return NOTHING_ASKED

    # What the decision pages show -----------------------------------------------------

    def describe(self, record) -> DocumentDescription:
        return self._becomes(record).describe(record)

    def _describe_option(self, project: Project) -> DocumentDescription:
        return describing.tracking_option(
            mapping.tracking_option_payload(project),
            category_name=str(self.settings.get("tracking_category_name") or ""),
        )

    def _describe_contact(self, company: Company) -> DocumentDescription:
        return describing.contact(mapping.contact_payload(company))

    def _names(self, commitment: Commitment, cost_codes) -> describing.Names:
        return describing.Names(
            vendor=commitment.vendor,
            project=commitment.project,
            cost_codes=cost_codes,
            settings=self.settings,
            option_name=mapping.option_name(commitment.project),
        )

    def _describe_order(self, commitment: Commitment) -> DocumentDescription:
        codes = [line.cost_code for line in commitment.lines.all()]
        return describing.purchase_order(
            self._approved_order(commitment)[0], self._names(commitment, codes)
        )

    def _describe_change(self, change_order: CommitmentChangeOrder) -> DocumentDescription:
        commitment = change_order.commitment
        earlier = _change_orders_on_order(change_order)
        before = mapping.purchase_order_payload(commitment, self.books)["LineItems"]
        for synced in earlier:
            before += mapping.change_order_added_lines(synced, self.books)
        codes = [line.cost_code for line in commitment.lines.all()]
        codes += [
            line.cost_code for other in [*earlier, change_order] for line in other.lines.all()
        ]
        return describing.change_order(
            self._approved_change(change_order)[0]["LineItems"],
            before,
            number=commitment.number,
            names=self._names(commitment, codes),
            amounts_and_tax=self.books.line_amount_types,
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
            order_number=commitment.number if commitment.erp_id else "",
        )


# Helpers --------------------------------------------------------------------------------------


def _explained(error: XeroError, unusable: list[str], unusable_items: list[str]) -> ExportRefused:
    """Xero's validation messages, with what of ours Xero cannot use and what to do."""
    sentence = error.message
    if unusable or unusable_items:
        sentence += f" In Xero, {'; '.join(unusable + unusable_items)}."
    if unusable_items:
        sentence += (
            " Import the cost codes again (or link each cost code to another item), then export "
            "again."
        )
    if any("lock date" in message for message in error.validation_errors):
        sentence += (
            " The posting date is inside Xero's lock dates: choose a later one, or have the "
            "lock date moved in Xero."
        )
    return ExportRefused(
        sentence,
        code=error.code,
        detail=error.detail,
        status=error.status,
        response_body=error.response_body,
    )


def _wrong_items(document: dict, record) -> list[str]:
    """The lines of a document from Xero whose item is not the one their cost code is linked
    to (Xero answers each line's item with its id)."""
    linked = {code.code.casefold(): code for code in _cost_codes(record)}
    wrong = []
    for line in document.get("LineItems") or []:
        code = linked.get(str(line.get("ItemCode") or "").casefold())
        item_id = str((line.get("Item") or {}).get("ItemID") or "")
        if code is not None and item_id and item_id.lower() != str(code.erp_id).lower():
            wrong.append(
                f"item '{(line.get('Item') or {}).get('Name', '')}' (coded '{code.code}') "
                f"where cost code '{code}' is linked to another item"
            )
    return list(dict.fromkeys(wrong))


def _unchangeable_order(order: dict) -> str:
    number = order.get("PurchaseOrderNumber", "")
    if order.get("Status") == "BILLED":
        return (
            f"Purchase order {number} is marked as billed in Xero, and Xero does not let a "
            "billed purchase order change. Undo 'Mark as billed' on it in Xero, then retry the "
            "export; or send the change as a new commitment."
        )
    return (
        f"Purchase order {number} is {str(order.get('Status', '')).lower()} in Xero, so no line "
        "can be added to it. Check it in Xero before exporting again."
    )


def _named(entries: Iterable[dict], name: str) -> dict | None:
    wanted = name.strip().casefold()
    matches = [e for e in entries if str(e.get("Name", "")).strip().casefold() == wanted]
    active = [e for e in matches if e.get("Status") == "ACTIVE"]
    return (active or matches or [None])[0]


def _same_contact(existing: dict, payload: dict) -> bool:
    """Clearly the same business: no email or tax number of ours differs from Xero's, and one
    of them agrees, or Xero's contact holds neither (a name keyed in alone)."""

    def text(document: dict, key: str) -> str:
        return str(document.get(key) or "").strip().casefold()

    keys = ("EmailAddress", "TaxNumber")
    held = [key for key in keys if text(existing, key)]
    if any(text(payload, key) and text(payload, key) != text(existing, key) for key in held):
        return False
    return not held or any(text(payload, key) == text(existing, key) for key in held)


def _applied_lines(order: dict, marker: str) -> list[dict]:
    return [
        line
        for line in order.get("LineItems") or []
        if str(line.get("Description", "")).startswith(marker)
    ]


def _check_applied(change_order, groups: list[list], applied: list[dict], order: dict) -> None:
    """Lines marked with the change order's number are ours only if their amounts are ours."""
    ours = sorted(sum((cents(line.amount) for line in group), Decimal("0.00")) for group in groups)
    found = sorted(cents(mapping.as_decimal(line.get("LineAmount", 0))) for line in applied)
    if found != ours:
        raise PermanentERPError(
            f"Purchase order {order.get('PurchaseOrderNumber', '')} in Xero already has "
            f"{len(found)} line(s) marked as change order {change_order.number}, totalling "
            f"{plain_money(sum(found, Decimal('0.00')))}, but the change order adds "
            f"{len(ours)} line(s) totalling {plain_money(sum(ours, Decimal('0.00')))}. Check "
            "the purchase order in Xero before exporting again.",
            code="total_mismatch",
            response_body=mapping.jsonable(order),
        )


def _check_kept_lines(before: dict, after: dict) -> None:
    """Every line the purchase order had keeps its LineItemID."""
    kept = {line.get("LineItemID") for line in after.get("LineItems") or []}
    lost = [
        line.get("LineItemID")
        for line in before.get("LineItems") or []
        if line.get("LineItemID") not in kept
    ]
    if lost:
        raise PermanentERPError(
            f"Xero changed purchase order {after.get('PurchaseOrderNumber', '')} but did not keep "
            f"{len(lost)} of its lines. Check it in Xero before exporting again.",
            code="lines_lost",
            response_body=mapping.jsonable(after),
        )


def _check_stored_total(document: dict, expected: Decimal, label: str) -> None:
    stored = mapping.lines_total(document)
    if stored != cents(expected):
        raise PermanentERPError(
            f"Xero holds {label} with lines totalling {plain_money(stored)}, but the record "
            f"totals {plain_money(expected)}. Check the document in Xero before exporting again.",
            code="total_mismatch",
            response_body=mapping.jsonable(document),
        )


def _option_result(option: dict, payload: dict | None, *, linked: bool = False) -> ExportResult:
    return ExportResult(
        erp_id=str(option["TrackingOptionID"]),
        linked_existing=linked,
        request_payload=mapping.jsonable(payload) if payload is not None else None,
        response_payload=mapping.jsonable(option),
    )


def _contact_result(contact: dict, payload: dict | None, *, linked: bool = False) -> ExportResult:
    return ExportResult(
        erp_id=str(contact["ContactID"]),
        linked_existing=linked,
        request_payload=mapping.jsonable(payload) if payload is not None else None,
        response_payload=mapping.jsonable(contact),
    )


def _paired_line_ids(records: list, lines: list[dict]) -> dict[int, str]:
    if len(records) > len(lines):
        return {}
    return {
        record.pk: str(line["LineItemID"])
        for record, line in zip(records, lines, strict=False)
        if line.get("LineItemID")
    }


def _order_result(order: dict, payload, commitment, *, linked: bool = False) -> ExportResult:
    return ExportResult(
        erp_id=str(order["PurchaseOrderID"]),
        doc_number=str(order.get("PurchaseOrderNumber", "")),
        linked_existing=linked,
        line_ids=_paired_line_ids(list(commitment.lines.all()), order.get("LineItems") or []),
        request_payload=mapping.jsonable(payload) if payload is not None else None,
        response_payload=mapping.jsonable(order),
    )


def _change_result(
    order: dict, payload, groups: list[list], applied: list[dict], *, linked: bool = False
) -> ExportResult:
    """Each change-order line gets the id of the purchase-order line its group became."""
    line_ids = {}
    if len(groups) == len(applied):
        for group, line in zip(groups, applied, strict=True):
            for change_line in group:
                line_ids[change_line.pk] = str(line.get("LineItemID", ""))
    return ExportResult(
        erp_id=str(order["PurchaseOrderID"]),
        doc_number=str(order.get("PurchaseOrderNumber", "")),
        linked_existing=linked,
        line_ids=line_ids,
        request_payload=mapping.jsonable(payload) if payload is not None else None,
        response_payload=mapping.jsonable(order),
    )


def _bill_result(bill: dict, payload, invoice, *, linked: bool = False) -> ExportResult:
    billed = [line for line in invoice.lines.all() if cents(line.gross_amount)]
    return ExportResult(
        erp_id=str(bill["InvoiceID"]),
        doc_number=str(bill.get("InvoiceNumber", "")),
        linked_existing=linked,
        line_ids=_paired_line_ids(billed, bill.get("LineItems") or []),
        request_payload=mapping.jsonable(payload) if payload is not None else None,
        response_payload=mapping.jsonable(bill),
    )


def _cost_codes(record) -> list:
    """The cost codes whose items the record's lines name, once each."""
    if isinstance(record, SubcontractorInvoice):
        codes = [
            line.schedule_line.cost_code for line in record.lines.all() if cents(line.gross_amount)
        ]
    elif isinstance(record, Commitment | CommitmentChangeOrder):
        codes = [line.cost_code for line in record.lines.all()]
    else:
        return []
    return list({code.pk: code for code in codes}.values())


def _vendor_of(record) -> Company | None:
    if isinstance(record, Commitment):
        return record.vendor
    if isinstance(record, SubcontractorInvoice | CommitmentChangeOrder):
        return record.commitment.vendor
    return None


def _project_of(record) -> Project | None:
    if isinstance(record, Commitment):
        return record.project
    if isinstance(record, SubcontractorInvoice | CommitmentChangeOrder):
        return record.commitment.project
    return None


def _has_retainage_line(invoice: SubcontractorInvoice) -> bool:
    return bool(
        invoice.totals().withheld
        or (invoice.is_retainage_release and cents(invoice.retainage_released))
    )


def _link_problems(project: Project, vendor: Company | None) -> list[str]:
    problems = []
    if not project.erp_id:
        problems.append(f"Project '{project}' is not a Xero tracking option yet.")
    if vendor is not None and not vendor.erp_id:
        problems.append(f"Company '{vendor.name}' is not linked to a Xero contact.")
    return problems


def _item_problems(position, cost_code) -> list[str]:
    if cost_code.erp_id:
        return []
    return [f"Line {position} uses cost code '{cost_code}', which is not a Xero item."]


def _number_problems(what: str, number: str) -> list[str]:
    if not number.strip():
        return [f"The {what} has no number; Xero needs one to find it again."]
    return []


def _amount_problems(what: str, amounts: list[Decimal]) -> list[str]:
    too_big = f"more than Xero can store (at most {plain_money(mapping.MAX_AMOUNT)})"
    problems = [
        f"Line {position}'s amount, {plain_money(amount)}, is {too_big}."
        for position, amount in enumerate(amounts, start=1)
        if abs(cents(amount)) > mapping.MAX_AMOUNT
    ]
    total = sum((cents(amount) for amount in amounts), Decimal("0.00"))
    if abs(total) > mapping.MAX_AMOUNT:
        problems.append(f"The {what}'s total, {plain_money(total)}, is {too_big}.")
    return problems


def _change_orders_on_order(change_order: CommitmentChangeOrder) -> list:
    return list(
        CommitmentChangeOrder.objects.filter(commitment=change_order.commitment)
        .exclude(erp_id="")
        .exclude(pk=change_order.pk)
        .order_by("erp_synced_at", "pk")
        .prefetch_related("lines__cost_code", "lines__commitment_line")
    )


def _name_key(name: str) -> str:
    return name.strip().casefold()


def _names_where(names: list[str]) -> str:
    """Xero's `where` for contacts under any of `names`."""
    return " OR ".join('Name=="{}"'.format(name.replace('"', '""')) for name in names)


def order_date_windows(commitments: list[Commitment], *, today: date) -> list[tuple[date, date]]:
    """The days a purchase order of each commitment can be dated, as few windows as cover them:
    a commitment's posting date (the order is sent with it); for one without, Xero dates the
    order the day it is created, in the organisation's time zone, so any day from the day before
    the accept (the first try of any attempt comes after it) to tomorrow. A lost answer retried
    days later, or a commitment posted last year exported today, is read where it is."""
    one_day = timedelta(days=1)
    windows = []
    for commitment in commitments:
        if commitment.posting_date:
            windows.append((commitment.posting_date, commitment.posting_date))
        else:
            accepted = timezone.localdate(commitment.decided_at) if commitment.decided_at else today
            windows.append((min(accepted, today) - one_day, today + one_day))
    merged: list[tuple[date, date]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1] + one_day:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _identity_of(record) -> str:
    """What the look-up of `record` finds it by: two records of one batch sharing it go one
    after the other."""
    if isinstance(record, SubcontractorInvoice):
        return record.number.casefold()
    if isinstance(record, Commitment):
        return record.number.casefold()
    if isinstance(record, Company):
        return _name_key(mapping.contact_payload(record)["Name"])
    return str(record.pk)
