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

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.conf import settings as django_settings
from django.utils import timezone

from approvals.inbound import INVOICE_LINE_RELATIONS, record_title
from approvals.models import (
    Commitment,
    CommitmentChangeOrder,
    Company,
    Project,
    SubcontractorInvoice,
)
from integrations.base import ApprovedDocument, ExportResult, PermanentERPError
from integrations.describe import DocumentDescription
from integrations.models import ERPConnection, ERPKind
from integrations.questions import NOTHING_ASKED, AcceptQuestions
from integrations.xero import describing, mapping
from integrations.xero.client import XeroClient
from integrations.xero.errors import XeroError
from integrations.xero.organisation import locked_through, read_at, remember_organisation
from money import cents, plain_money

BATCH_SIZE = 50
"""Documents per request on the batched export path (Xero recommends up to 50)."""
LIVE_BILL_STATUSES = "DRAFT,SUBMITTED,AUTHORISED,PAID"
CHANGEABLE_ORDER_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED")
NO_PURCHASE_ORDERS = (
    "This Xero organisation keeps no purchase orders (a choice on the Xero connection page), "
    "so commitments and their change orders are not sent; invoices go to Xero as bills "
    "without them."
)


class ExportRefused(PermanentERPError):
    """The record cannot go to Xero as it stands; nothing was sent."""


@dataclass(frozen=True)
class _RecordType:
    """Each step of getting one of our record types into Xero."""

    prerequisites: Callable[[Any], list[str]]
    problems: Callable[[Any], list[str]]
    approved: Callable[[Any], tuple[dict, dict]]
    describe: Callable[[Any], DocumentDescription]
    export: Callable[[Any, str], ExportResult]
    find_exported: Callable[[Any, dict, dict], ExportResult | None]


class XeroConnector:
    kind = ERPKind.XERO
    display_name = "Xero"

    def __init__(self, connection: ERPConnection, client: XeroClient | None = None):
        self.connection = connection
        self._client = client

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

    def export_batch_size(self, model) -> int:
        """How many records of `model` one request may carry: contacts, purchase orders and
        bills go many to a request (PUT takes a list); a tracking option and a change to one
        purchase order go alone."""
        return BATCH_SIZE if model in (Company, Commitment, SubcontractorInvoice) else 1

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
                export=self._export_option,
                find_exported=self._exported_option,
            ),
            # A company is a contact, linked by name when clearly the same business.
            Company: _RecordType(
                prerequisites=lambda company: [],
                problems=self._contact_problems,
                approved=self._approved_contact,
                describe=self._describe_contact,
                export=self._export_contact,
                find_exported=self._exported_contact,
            ),
            # A commitment is a purchase order, one line per schedule-of-values line.
            Commitment: _RecordType(
                prerequisites=self._order_prerequisites,
                problems=self._order_problems,
                approved=self._approved_order,
                describe=self._describe_order,
                export=self._export_order,
                find_exported=self._exported_order,
            ),
            # A change order appends its lines to the purchase order (lines changing one line
            # summed), every existing line resent by its LineItemID so Xero keeps it.
            CommitmentChangeOrder: _RecordType(
                prerequisites=self._change_prerequisites,
                problems=self._change_problems,
                approved=self._approved_change,
                describe=self._describe_change,
                export=self._export_change,
                find_exported=self._exported_change,
            ),
            # A subcontractor invoice is an ACCPAY bill.
            SubcontractorInvoice: _RecordType(
                prerequisites=self._bill_prerequisites,
                problems=self._bill_problems,
                approved=self._approved_bill,
                describe=self._describe_bill,
                export=self._export_bill,
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
        record = _reloaded(record)
        self._read_organisation_when_stale()
        problems = self._becomes(record).prerequisites(record) + self.export_problems(record)
        if problems:
            raise ExportRefused(" ".join(problems), code="export_problems")
        self._check_items(record)
        try:
            return self._becomes(record).export(record, idempotency_key)
        except XeroError as error:
            if error.code != "ValidationException":
                raise
            raise _explained(error, self._unusable_references(record)) from error

    def _check_items(self, record) -> None:
        """Each line's cost code is linked to an item by its id; Xero's lines name items by
        code: the item must still be there, under the cost code's code."""
        codes = _cost_codes(record)
        if not codes:
            return
        items = {str(item["ItemID"]): item for item in self.client.get("Items")["Items"]}
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
        if problems:
            raise ExportRefused(" ".join(problems), code="missing_reference")

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

    def _export_option(self, project: Project, key: str) -> ExportResult:
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

    def _export_contact(self, company: Company, key: str) -> ExportResult:
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
        created = self.client.create("Contacts", {"Contacts": [payload]}, idempotency_key=key)
        return _contact_result(created["Contacts"][0], payload)

    def _contact_named(self, name: str) -> dict | None:
        quoted = name.replace('"', '""')
        found = self.client.get("Contacts", params={"where": f'Name=="{quoted}"'})["Contacts"]
        active = [c for c in found if c.get("ContactStatus") == "ACTIVE"]
        return active[0] if active else None

    def _export_order(self, commitment: Commitment, key: str) -> ExportResult:
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
        created = self.client.create(
            "PurchaseOrders", {"PurchaseOrders": [payload]}, idempotency_key=key, unitdp=4
        )["PurchaseOrders"][0]
        _check_stored_total(created, expected, f"purchase order {commitment.number}")
        return _order_result(created, payload, commitment)

    def _order_numbered(self, number: str) -> dict | None:
        found = self.client.find("PurchaseOrders", number)
        if found is None or found.get("Status") == "DELETED":
            return None
        return found

    def _export_change(self, change_order: CommitmentChangeOrder, key: str) -> ExportResult:
        order = self._order(change_order.commitment.erp_id)
        marker = mapping.change_order_marker(change_order)
        applied = _applied_lines(order, marker)
        groups = mapping.change_order_groups(change_order)
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
        updated = self.client.update(
            f"PurchaseOrders/{order['PurchaseOrderID']}",
            {"PurchaseOrders": [payload]},
            idempotency_key=key,
            unitdp=4,
        )["PurchaseOrders"][0]
        _check_stored_total(updated, expected, f"purchase order {number}")
        _check_kept_lines(order, updated)
        return _change_result(updated, payload, groups, _applied_lines(updated, marker))

    def _order(self, order_id: str) -> dict:
        found = self.client.find("PurchaseOrders", order_id)
        if found is None:
            raise ExportRefused(
                "The purchase order this change order adds to is no longer in Xero. Unlink the "
                "commitment once its purchase order is gone, and send it again.",
                code="missing_order",
            )
        return found

    def _export_bill(self, invoice: SubcontractorInvoice, key: str) -> ExportResult:
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
        created = self.client.create(
            "Invoices", {"Invoices": [payload]}, idempotency_key=key, unitdp=4
        )["Invoices"][0]
        _check_stored_total(created, expected, f"bill {invoice.number}")
        return _bill_result(created, payload, invoice)

    def _bill_numbered(self, number: str, contact_id: str) -> dict | None:
        found = self.client.get(
            "Invoices",
            params={
                "InvoiceNumbers": number,
                "ContactIDs": contact_id,
                "Statuses": LIVE_BILL_STATUSES,
                "page": 1,
                "unitdp": 4,
            },
        )["Invoices"]
        bills = [bill for bill in found if bill.get("Type") == "ACCPAY"]
        return bills[0] if bills else None

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
            "Marker": mapping.change_order_marker(change_order),
        }

    def _approved_bill(self, invoice: SubcontractorInvoice) -> tuple[dict, dict]:
        payload = mapping.bill_payload(invoice, self.books)
        return payload, {
            "InvoiceNumber": payload["InvoiceNumber"],
            "ContactID": payload["Contact"]["ContactID"],
        }

    def find_exported(self, record, approved: ApprovedDocument | None) -> ExportResult | None:
        record = _reloaded(record)
        approved = approved or self.approved_document(record)
        return self._becomes(record).find_exported(record, approved.identity, approved.document)

    def _exported_option(self, project, identity: dict, document: dict):
        category = self.client.get(
            f"TrackingCategories/{identity['TrackingCategoryID']}",
            params={"includeArchived": "true"},
        )["TrackingCategories"]
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
        groups = mapping.change_order_groups(change_order)
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
        return same_contact and mapping.line_signatures(found) == mapping.line_signatures(document)

    def _linked_elsewhere(self, record, erp_id: str):
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


def _explained(error: XeroError, unusable: list[str]) -> ExportRefused:
    """Xero's validation messages, with what of ours Xero cannot use and what to do."""
    sentence = error.message
    if unusable:
        sentence += f" In Xero, {'; '.join(unusable)}."
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


def _reloaded(record):
    model = type(record)
    queries = {
        Company: model.objects.all(),
        Project: model.objects.all(),
        Commitment: model.objects.select_related("project", "vendor").prefetch_related(
            "lines__cost_code"
        ),
        CommitmentChangeOrder: model.objects.select_related(
            "commitment__project", "commitment__vendor"
        ).prefetch_related("lines__cost_code", "lines__commitment_line"),
        SubcontractorInvoice: model.objects.select_related(
            "commitment__project", "commitment__vendor"
        ).prefetch_related(*INVOICE_LINE_RELATIONS),
    }
    return queries[model].get(pk=record.pk)
