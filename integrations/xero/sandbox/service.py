"""The accounting API's behaviour, independent of HTTP: one request on one organisation, from
the path segments after `/api.xro/2.0/`, the query parameters and the body, to the envelope
Xero answers (`Id`, `Status`, `ProviderName`, `DateTimeUTC`, the records, `pagination`).

Writes take many elements per call; with `summarizeErrors=false` each element succeeds or
fails alone (HTTP 200, `StatusAttributeString` OK or ERROR), otherwise one failing element
fails the call with a 400 `ValidationException` and nothing is stored.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from . import contacts, documents, faults, payments, query, settings, wire
from .books import ZERO_ID, Books
from .faults import Invalid
from .fields import is_uuid
from .storage import ChangeEvent, Store, Unit

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
SETTINGS = ("accounting.settings",)
TRANSACTIONS = ("accounting.transactions",)
# Path resource → (scopes that allow writing, scopes that allow reading), broad and granular.
SCOPES = {
    "organisation": (SETTINGS, ("accounting.settings.read",)),
    "accounts": (SETTINGS, ("accounting.settings.read",)),
    "taxrates": (SETTINGS, ("accounting.settings.read",)),
    "trackingcategories": (SETTINGS, ("accounting.settings.read",)),
    "items": (
        (*SETTINGS, "accounting.invoices"),
        ("accounting.settings.read", "accounting.invoices.read"),
    ),
    "contacts": (("accounting.contacts",), ("accounting.contacts.read",)),
    "purchaseorders": (
        (*TRANSACTIONS, "accounting.invoices"),
        ("accounting.transactions.read", "accounting.invoices.read"),
    ),
    "invoices": (
        (*TRANSACTIONS, "accounting.invoices"),
        ("accounting.transactions.read", "accounting.invoices.read"),
    ),
    "creditnotes": (
        (*TRANSACTIONS, "accounting.invoices"),
        ("accounting.transactions.read", "accounting.invoices.read"),
    ),
    "banktransactions": (
        (*TRANSACTIONS, "accounting.banktransactions"),
        ("accounting.transactions.read", "accounting.banktransactions.read"),
    ),
    "payments": (
        (*TRANSACTIONS, "accounting.payments"),
        ("accounting.transactions.read", "accounting.payments.read"),
    ),
}


def scope_allows(resource: str, method: str, granted: set[str]) -> bool:
    write, read = SCOPES[resource]
    allowed = write if method != "GET" else (*write, *read)
    return any(scope in granted for scope in allowed)


@dataclass(frozen=True)
class Context:
    tenant_id: str
    client_id: str
    provider_name: str
    max_active_options: int


@dataclass(frozen=True)
class Collection:
    """A paged, many-element collection of records (Contacts, Invoices, …)."""

    envelope: str
    kind: str
    id_field: str
    save: Callable  # (books, element, existing | None) -> stored record
    echo_fields: dict[str, int]  # identifying text fields echoed on errors, with their max
    error_flag: str | None = None  # the record's own "has errors" flag
    number_field: str | None = None  # also readable by number: GET /<envelope>/<number>


def _document_saver(doc_type):
    return lambda books, element, existing: documents.save(books, doc_type, element, existing)


def _contact_saver(books, element, existing):
    if existing is None:
        return contacts.create(books, element)
    return contacts.update(books, existing, element)


def _item_saver(books, element, existing):
    if existing is None:
        return settings.create_item(books, element)
    return settings.update_item(books, existing, element)


def _payment_saver(books, element, existing):
    if existing is None:
        return payments.create(books, element)
    return payments.delete(books, existing, element)


COLLECTIONS = {
    "contacts": Collection(
        "Contacts",
        "Contact",
        "ContactID",
        _contact_saver,
        {"Name": 255},
        "HasValidationErrors",
        number_field="ContactNumber",
    ),
    "items": Collection("Items", "Item", "ItemID", _item_saver, {"Code": 30}, number_field="Code"),
    "purchaseorders": Collection(
        "PurchaseOrders",
        "PurchaseOrder",
        "PurchaseOrderID",
        _document_saver(documents.PURCHASE_ORDER),
        {"PurchaseOrderNumber": 255},
        number_field="PurchaseOrderNumber",
    ),
    "invoices": Collection(
        "Invoices",
        "Invoice",
        "InvoiceID",
        _document_saver(documents.BILL),
        {"InvoiceNumber": 255},
        "HasErrors",
        number_field="InvoiceNumber",
    ),
    "creditnotes": Collection(
        "CreditNotes",
        "CreditNote",
        "CreditNoteID",
        _document_saver(documents.SUPPLIER_CREDIT),
        {"CreditNoteNumber": 255},
        "HasErrors",
        number_field="CreditNoteNumber",
    ),
    "banktransactions": Collection(
        "BankTransactions",
        "BankTransaction",
        "BankTransactionID",
        _document_saver(documents.SPEND_MONEY),
        {"Reference": 255},
    ),
    "payments": Collection(
        "Payments",
        "Payment",
        "PaymentID",
        _payment_saver,
        {"Reference": 255},
        "HasValidationErrors",
    ),
}
PAGED = ("contacts", "purchaseorders", "invoices", "creditnotes", "banktransactions", "payments")
MODIFIED_SINCE = (*PAGED, "accounts", "items")


class AccountingService:
    def __init__(self, store: Store, publish: Callable[[list[ChangeEvent]], None]):
        self.store = store
        self.publish = publish

    # -- one request -----------------------------------------------------------------------

    def handle(self, ctx: Context, method: str, segments: list[str], params: dict, headers, body):
        """(status, JSON body) for one accounting request, the body None for 204 No Content;
        raises XeroError otherwise."""
        resource = segments[0].lower() if segments else ""
        rest = segments[1:]
        if resource not in SCOPES:
            raise faults.not_found()
        unit_decimals = 4 if params.get("unitdp") == "4" else 2
        with self.store.transaction() as conn:
            unit = Unit(self.store, conn, ctx.tenant_id, ctx.client_id)
            books = Books(unit, unit_decimals=unit_decimals)
            answer = self._route(ctx, books, method, resource, rest, params, headers, body)
            if unit.events:
                events = list(unit.events)
                self.store.after_commit(lambda: self.publish(events))
        if answer is None:
            return 204, None
        return 200, self._envelope(ctx, answer)

    @staticmethod
    def _envelope(ctx: Context, answer: dict) -> dict:
        return {
            "Id": str(uuid.uuid4()),
            "Status": "OK",
            "ProviderName": ctx.provider_name,
            "DateTimeUTC": wire.ms_datetime(wire.now_ms()),
            **answer,
        }

    def _route(self, ctx, books, method, resource, rest, params, headers, body) -> dict | None:
        if resource == "organisation" and method == "GET" and not rest:
            organisation = dict(books.organisation)
            return {"Organisations": [organisation]}
        if resource == "taxrates" and method == "GET" and not rest:
            rates = [
                {k: v for k, v in rate.items() if k != "UpdatedDateUTC"}
                for rate in books.unit.all("TaxRate")
            ]
            return {"TaxRates": self._filtered(rates, params)}
        if resource in ("organisation", "taxrates") and method != "GET":
            raise faults.not_implemented()
        if resource == "accounts":
            return self._accounts(books, method, rest, params, headers, body)
        if resource == "trackingcategories":
            return self._tracking(ctx, books, method, rest, params, body)
        collection = COLLECTIONS.get(resource)
        if collection is None:
            raise faults.not_found()
        if method == "GET":
            if rest and len(rest) == 1:
                return {collection.envelope: [self._one(books, collection, rest[0], params)]}
            if not rest:
                return self._list(books, resource, collection, params, headers)
        if method in ("PUT", "POST") and len(rest) <= 1:
            return self._write(books, resource, collection, method, rest, params, body)
        if method == "DELETE" and resource == "items" and len(rest) == 1:
            settings.delete_item(books, rest[0])
            return None
        raise faults.not_found()

    # -- reading ---------------------------------------------------------------------------

    @staticmethod
    def _filtered(records: list[dict], params: dict) -> list[dict]:
        predicate = query.where_filter(params.get("where"))
        if predicate is not None:
            records = [record for record in records if predicate(record)]
        return query.order_records(records, params.get("order"))

    def _one(self, books: Books, collection: Collection, key: str, params: dict) -> dict:
        record = books.unit.get(collection.kind, key) if is_uuid(key) else None
        if record is None and collection.number_field:
            record = next(
                (
                    r
                    for r in books.unit.all(collection.kind)
                    if str(r.get(collection.number_field, "")).lower() == key.lower()
                ),
                None,
            )
        if record is None:
            raise faults.not_found()
        return self._present(collection, record, params, single=True)

    @staticmethod
    def _present(collection: Collection, record: dict, params: dict, *, single: bool) -> dict:
        summary = wire.flag(params.get("summaryOnly")) is True
        if collection.kind == "Contact":
            return contacts.present(record, summary=summary)
        if collection.kind == "Invoice":
            # Xero shows a bill's lines when reading one, or a page of them, not a whole list.
            with_lines = not summary and (single or "page" in params)
            return documents.present(record, with_lines=with_lines)
        return record

    def _list(self, books, resource, collection: Collection, params: dict, headers) -> dict:
        records = books.unit.all(collection.kind)
        since = headers.get("If-Modified-Since")
        if since and resource in MODIFIED_SINCE:
            since_ms = wire.parse_datetime_ms(since)
            if since_ms is None:
                raise faults.request_error(f"If-Modified-Since {since!r} is not a valid date-time.")
            updated = books.unit.updated_ms(collection.kind)
            records = [r for r in records if updated[r[collection.id_field]] >= since_ms]
        records = self._list_filters(books, resource, collection, records, params)
        records = self._filtered(records, params)
        answer: dict = {}
        if resource in PAGED and "page" in params:
            records, answer["pagination"] = _page(records, params)
        answer[collection.envelope] = [
            self._present(collection, record, params, single=False) for record in records
        ]
        return answer

    @staticmethod
    def _list_filters(books, resource, collection, records, params) -> list[dict]:
        def listed(name: str) -> set[str]:
            return {
                part.strip().lower() for part in params.get(name, "").split(",") if part.strip()
            }

        if ids := listed("IDs"):
            records = [r for r in records if r[collection.id_field] in ids]
        if resource == "contacts" and wire.flag(params.get("includeArchived")) is not True:
            records = [r for r in records if r["ContactStatus"] != "ARCHIVED"]
        if resource == "contacts" and params.get("searchTerm"):
            records = [r for r in records if contacts.matches_search(r, params["searchTerm"])]
        if resource == "invoices":
            if numbers := listed("InvoiceNumbers"):
                records = [r for r in records if r.get("InvoiceNumber", "").lower() in numbers]
            if contact_ids := listed("ContactIDs"):
                records = [r for r in records if r["Contact"]["ContactID"] in contact_ids]
            if statuses := listed("Statuses"):
                records = [r for r in records if r["Status"].lower() in statuses]
            if wire.flag(params.get("createdByMyApp")) is True:
                creators = books.unit.created_by(collection.kind)
                records = [r for r in records if creators[r["InvoiceID"]] == books.unit.client_id]
            if term := params.get("searchTerm", "").casefold():
                records = [r for r in records if term in r.get("InvoiceNumber", "").casefold()]
        if resource == "purchaseorders":
            if status := params.get("Status"):
                records = [r for r in records if r["Status"] == status.upper()]
            for name, keep in (("DateFrom", lambda d, b: d >= b), ("DateTo", lambda d, b: d <= b)):
                if params.get(name):
                    bound = wire.parse_date(params[name])
                    if bound is None:
                        raise faults.request_error(f"{name} is not a valid date.")
                    records = [r for r in records if keep(wire.parse_date(r["Date"]), bound)]
        return records

    # -- writing ---------------------------------------------------------------------------

    def _write(self, books, resource, collection: Collection, method, rest, params, body) -> dict:
        summarize = wire.flag(params.get("summarizeErrors")) is not False
        if (
            resource == "payments"
            and method == "POST"
            and not (isinstance(body, dict) and "Payments" in body)
        ):
            # createPayment takes one bare Payment; deletePayment one bare {"Status": "DELETED"}.
            elements = [body]
        elif isinstance(body, dict) and isinstance(body.get(collection.envelope), list):
            elements = body[collection.envelope]
        else:
            raise faults.request_error(
                f"The request body must be an object with a {collection.envelope} list."
            )
        if rest:
            existing = books.unit.get(collection.kind, rest[0]) if is_uuid(rest[0]) else None
            if existing is None or method != "POST":
                raise faults.not_found()
            elements = [{**element, collection.id_field: rest[0]} for element in elements]
        results, failed = [], False
        for element in elements:
            events_before = len(books.unit.events)
            try:
                with self.store.transaction():
                    record = self._save_element(books, resource, collection, method, element)
                shown = self._present(collection, record, params, single=True)
                results.append(shown if summarize else {**shown, "StatusAttributeString": "OK"})
            except Invalid as error:
                del books.unit.events[events_before:]
                failed = True
                results.append(_echo(collection, element, error.messages, summarize))
        if failed and summarize:
            raise faults.validation_error([r for r in results if r.get("ValidationErrors")])
        return {collection.envelope: results}

    @staticmethod
    def _save_element(books, resource, collection: Collection, method, element) -> dict:
        if not isinstance(element, dict):
            raise Invalid(f"Each of {collection.envelope} must be an object.")
        given_id = element.get(collection.id_field)
        existing = None
        if given_id:
            if method == "PUT":
                raise Invalid(
                    f"A new {collection.kind} cannot carry a {collection.id_field}: use POST to "
                    "update one."
                )
            existing = books.unit.get(collection.kind, str(given_id)) if is_uuid(given_id) else None
            if existing is None:
                raise Invalid(f"{collection.kind} {given_id} could not be found.")
        elif resource == "items" and method == "POST":
            existing = settings.item_for_upsert(books, element)
        elif resource == "payments" and collection.id_field in element:
            raise Invalid("PaymentID is not valid.")
        return collection.save(books, element, existing)

    # -- accounts --------------------------------------------------------------------------

    def _accounts(self, books, method, rest, params, headers, body) -> dict:
        if method == "GET" and not rest:
            accounts = books.accounts()
            since = headers.get("If-Modified-Since")
            if since:
                since_ms = wire.parse_datetime_ms(since)
                if since_ms is None:
                    raise faults.request_error(
                        f"If-Modified-Since {since!r} is not a valid date-time."
                    )
                updated = books.unit.updated_ms("Account")
                accounts = [a for a in accounts if updated[a["AccountID"]] >= since_ms]
            return {"Accounts": self._filtered(accounts, params)}
        existing = None
        if rest:
            existing = books.unit.get("Account", rest[0]) if is_uuid(rest[0]) else None
            if existing is None or len(rest) > 1:
                raise faults.not_found()
        if method == "GET" and existing is not None:
            return {"Accounts": [existing]}
        if method == "PUT" and not rest:
            created = _single(
                "Account", "AccountID", body, lambda e: settings.create_account(books, e)
            )
            return {"Accounts": [created]}
        if method == "POST" and existing is not None:
            elements = body.get("Accounts") if isinstance(body, dict) else None
            if not isinstance(elements, list) or len(elements) != 1:
                raise faults.request_error(
                    "The request body must be an object with one Accounts element."
                )
            updated = _single(
                "Account",
                "AccountID",
                elements[0],
                lambda element: settings.update_account(books, existing, element),
            )
            return {"Accounts": [updated]}
        raise faults.not_found()

    # -- tracking categories ---------------------------------------------------------------

    def _tracking(self, ctx: Context, books, method, rest, params, body) -> dict:
        include_archived = wire.flag(params.get("includeArchived")) is True
        categories = books.tracking_categories()

        def shown(category):
            return settings.present_category(category, include_archived=include_archived)

        if not rest:
            if method == "GET":
                wanted = ("ACTIVE", "ARCHIVED") if include_archived else ("ACTIVE",)
                listed = [shown(c) for c in categories if c["Status"] in wanted]
                return {"TrackingCategories": self._filtered(listed, params)}
            if method == "PUT":
                created = _single(
                    "TrackingCategory",
                    "TrackingCategoryID",
                    body,
                    lambda e: settings.create_category(books, e),
                )
                return {"TrackingCategories": [shown(created)]}
            raise faults.not_found()
        category = books.unit.get("TrackingCategory", rest[0]) if is_uuid(rest[0]) else None
        if category is None or (category["Status"] == "DELETED" and method != "GET"):
            raise faults.not_found()
        if len(rest) == 1:
            if method == "GET":
                return {"TrackingCategories": [shown(category)]}
            if method == "POST":
                updated = _single(
                    "TrackingCategory",
                    "TrackingCategoryID",
                    body,
                    lambda e: settings.update_category(books, category, e),
                )
                return {"TrackingCategories": [shown(updated)]}
            if method == "DELETE":
                deleted = _single(
                    "TrackingCategory",
                    "TrackingCategoryID",
                    {},
                    lambda e: settings.delete_category(books, category),
                )
                return {
                    "TrackingCategories": [
                        settings.present_category(deleted, include_archived=True)
                    ]
                }
            raise faults.not_found()
        if rest[1].lower() != "options":
            raise faults.not_found()
        limit = ctx.max_active_options
        if len(rest) == 2 and method == "PUT":
            created = _single(
                "TrackingOption",
                "TrackingOptionID",
                body,
                lambda e: settings.create_option(books, category, e, limit),
            )
            return {"Options": [created]}
        if len(rest) == 3:
            option = settings.find_option(category, rest[2]) if is_uuid(rest[2]) else None
            if option is None or option["Status"] == "DELETED":
                raise faults.not_found()
            if method == "POST":
                updated = _single(
                    "TrackingOption",
                    "TrackingOptionID",
                    body,
                    lambda e: settings.update_option(books, category, option, e, limit),
                )
                return {"Options": [updated]}
            if method == "DELETE":
                deleted = _single(
                    "TrackingOption",
                    "TrackingOptionID",
                    {},
                    lambda e: settings.delete_option(books, category, option),
                )
                return {"Options": [deleted]}
        raise faults.not_found()


def _single(kind: str, id_field: str, element, save) -> dict:
    """One bare element (Accounts, TrackingCategories, Options): saved, or a 400 naming it."""
    if not isinstance(element, dict):
        raise faults.request_error(f"The request body must be one {kind} object.")
    try:
        return save(element)
    except Invalid as error:
        echo = {id_field: element.get(id_field) if is_uuid(element.get(id_field)) else ZERO_ID}
        raise faults.validation_error(
            [{**echo, "ValidationErrors": [{"Message": m} for m in error.messages]}]
        ) from None


def _echo(collection: Collection, element, messages: list[str], summarize: bool) -> dict:
    """A failed element as Xero lists it: its id (zeros when new), what identifies it, and its
    validation errors."""
    element = element if isinstance(element, dict) else {}
    given_id = element.get(collection.id_field)
    echo = {collection.id_field: str(given_id).lower() if is_uuid(given_id) else ZERO_ID}
    for name, maximum in collection.echo_fields.items():
        value = element.get(name)
        if isinstance(value, str) and len(value) <= maximum:
            echo[name] = value
    if collection.error_flag:
        echo[collection.error_flag] = True
    echo["ValidationErrors"] = [{"Message": message} for message in messages]
    if not summarize:
        echo["StatusAttributeString"] = "ERROR"
    return echo


def _page(records: list[dict], params: dict) -> tuple[list[dict], dict]:
    try:
        page = max(1, int(params.get("page") or 1))
        size = int(params.get("pageSize") or DEFAULT_PAGE_SIZE)
    except ValueError:
        raise faults.request_error("page and pageSize must be whole numbers.") from None
    size = min(max(size, 1), MAX_PAGE_SIZE)
    start = (page - 1) * size
    pagination = {
        "page": page,
        "pageSize": size,
        "pageCount": math.ceil(len(records) / size),
        "itemCount": len(records),
    }
    return records[start : start + size], pagination
