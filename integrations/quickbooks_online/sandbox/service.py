"""The company API's behaviour, independent of HTTP: create, read, update, delete, query,
batch and change data capture for one realm, plus the setup the control API needs."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta

from . import faults, names, tax, transactions, wire
from .fields import check_lengths, check_name_characters
from .query import NAME_LISTS, compile_sql, parse
from .records import ChangeEvent, Prepared, Unit
from .storage import ENTITY_COLUMNS, Row, Store

TRANSACTIONS = ("PurchaseOrder", "Bill", "VendorCredit", "Purchase", "BillPayment")
ENTITIES = (*NAME_LISTS, *TRANSACTIONS)
# Read and queried through the API, changed only in QuickBooks itself (tax through TaxService).
READ_ONLY_ENTITIES = ("CompanyInfo", "TaxCode", "TaxRate")
PATH_ENTITIES = {entity.lower(): entity for entity in (*ENTITIES, *READ_ONLY_ENTITIES)}
PREPARE = {**names.PREPARE, **transactions.PREPARE}
READ_ONLY = {**names.READ_ONLY_FIELDS, **transactions.READ_ONLY_FIELDS}
VOIDABLE = {"BillPayment": transactions.void_bill_payment}
SYSTEM_FIELDS = ("Id", "SyncToken", "MetaData", "domain", "sparse", "status")
UNREMOVABLE_BY_SPARSE = ("DisplayName", "PrintOnCheckName")
BATCH_MAX_ITEMS = 30
CDC_MAX_OBJECTS = 1000
CDC_LOOKBACK = timedelta(days=30)

DEFAULT_REALM_ID = "9341453050000001"
DEFAULT_COMPANY_NAME = "Sandbox Construction Co"
COMPANY_ADDRESSES = {
    "US": {"Line1": "100 Main Street", "City": "Mountain View"},
    "CA": {"Line1": "100 King Street West", "City": "Toronto", "CountrySubDivisionCode": "ON"},
}
STARTER_ACCOUNTS = (
    ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable"),
    ("Checking", "Bank", "Checking"),
    ("Mastercard", "Credit Card", "CreditCard"),
    ("Construction Income", "Income", "ServiceFeeIncome"),
    ("Job Materials", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
    ("Subcontractors", "Cost of Goods Sold", "CostOfLabourCos"),
    ("Equipment Rental", "Expense", "EquipmentRental"),
    ("Retainage Payable", "Other Current Liability", "OtherCurrentLiabilities"),
)


def present(row: Row, *, mask_tax_id: bool = True) -> dict:
    """A stored object as the API returns it."""
    data = {**row.data, "domain": "QBO", "sparse": False}
    tax_id = data.get("TaxIdentifier")
    if mask_tax_id and tax_id:
        data["TaxIdentifier"] = "XXXXXXX" + tax_id[-4:]
    return data


def deleted_shape(row: Row, *, with_metadata: bool = False) -> dict:
    shape = {"status": "Deleted", "domain": "QBO", "Id": str(row.id)}
    if with_metadata:
        shape["MetaData"] = {"LastUpdatedTime": wire.metadata_time(row.last_updated)}
    return shape


def _default_preferences() -> dict:
    """A US company's, until something (closing the books) stores them."""
    return tax.preferences_for("US", multicurrency=False)


def _writable(entity: str, payload: dict) -> dict:
    hidden = (*SYSTEM_FIELDS, *READ_ONLY.get(entity, ()))
    return {key: value for key, value in payload.items() if key not in hidden}


def _object_id(payload: dict) -> int:
    value = payload.get("Id")
    if value is None or str(value).strip() == "":
        raise faults.required_param("Id")
    text = str(value).strip()
    if not text.isdigit():
        raise faults.object_not_found("Id")
    return int(text)


def _check_sync_token(payload: dict, row: Row) -> None:
    token = payload.get("SyncToken")
    if token is None or str(token).strip() == "":
        raise faults.required_param("SyncToken")
    if str(token).strip() != str(row.sync_token):
        raise faults.stale_object()


def _entity_body(payload, entity: str) -> dict:
    if not isinstance(payload, dict):
        raise faults.invalid_value(entity, f"The request body must be a JSON {entity} object.")
    return payload


class CompanyService:
    def __init__(self, store: Store, on_change: Callable[[list[ChangeEvent]], None] | None = None):
        self.store = store
        self.on_change = on_change

    @contextmanager
    def unit(self, realm_id: str):
        with self.store.transaction() as conn:
            unit = Unit(conn, realm_id)
            yield unit
            if unit.events and self.on_change is not None:
                events = list(unit.events)
                self.store.after_commit(lambda: self.on_change(events))

    # -- companies -------------------------------------------------------------------------

    def company_exists(self, realm_id: str) -> bool:
        with self.store.transaction() as conn:
            found = conn.execute("SELECT 1 FROM company WHERE realm_id = ?", (realm_id,))
            return found.fetchone() is not None

    def ensure_company(
        self, realm_id: str, name: str, *, country: str = "US", multicurrency: bool = False
    ) -> None:
        """Create the company with its CompanyInfo and starter accounts, unless it exists; a
        company outside the US also gets its Preferences and its tax codes and rates."""
        if country not in tax.HOME_CURRENCY:
            raise ValueError(f"Companies can be in {', '.join(tax.HOME_CURRENCY)}, not {country}.")
        if self.company_exists(realm_id):
            return
        with self.unit(realm_id) as unit:
            unit.conn.execute(
                "INSERT INTO company (realm_id, name, created_at) VALUES (?, ?, ?)",
                (realm_id, name, unit.now),
            )
            info = {
                "CompanyName": name,
                "LegalName": name,
                "Country": country,
                "CompanyAddr": COMPANY_ADDRESSES[country],
                "FiscalYearStartMonth": "January",
                "SupportedLanguages": "en",
            }
            unit.insert("CompanyInfo", unit.next_id(), Prepared(info))
            for account_name, account_type, sub_type in STARTER_ACCOUNTS:
                payload = {
                    "Name": account_name,
                    "AccountType": account_type,
                    "AccountSubType": sub_type,
                }
                unit.insert("Account", unit.next_id(), PREPARE["Account"](unit, payload, None))
            if country != "US" or multicurrency:
                preferences = tax.preferences_for(country, multicurrency)
                unit.insert("Preferences", unit.next_id(), Prepared(preferences))
            if country != "US":
                tax.seed_tax_codes(unit)
            unit.events.clear()

    # -- company preferences ----------------------------------------------------------------

    def preferences(self, realm_id: str) -> dict:
        """The company's Preferences, as GET /preferences answers them (read-only here, as
        through the API: the closing date is set in QuickBooks' own settings, the control API)."""
        with self.unit(realm_id) as unit:
            rows = unit.all_live("Preferences")
            if rows:
                return present(rows[0])
        return {**_default_preferences(), "Id": "1", "SyncToken": "0", "domain": "QBO"}

    def set_book_close_date(self, realm_id: str, close_date: str | None) -> dict:
        """What an administrator does in QuickBooks' Advanced settings: close the books."""
        with self.unit(realm_id) as unit:
            rows = unit.all_live("Preferences")
            data = dict(rows[0].data) if rows else _default_preferences()
            accounting = dict(data.get("AccountingInfoPrefs", {}))
            if close_date:
                accounting["BookCloseDate"] = close_date
            else:
                accounting.pop("BookCloseDate", None)
            data["AccountingInfoPrefs"] = accounting
            for name in SYSTEM_FIELDS:
                data.pop(name, None)
            if rows:
                row = unit.replace(rows[0], Prepared(data))
            else:
                row = unit.insert("Preferences", unit.next_id(), Prepared(data))
            unit.events.clear()
            return present(row)

    # -- single objects --------------------------------------------------------------------

    def create(self, realm_id: str, entity: str, payload) -> dict:
        payload = _entity_body(payload, entity)
        if payload.get("Id") not in (None, ""):
            return self.update(realm_id, entity, payload)
        with self.unit(realm_id) as unit:
            prepared = PREPARE[entity](unit, _writable(entity, payload), None)
            row = unit.insert(entity, unit.next_id(), prepared)
            self._after_save(unit, None, row)
            return present(row, mask_tax_id=False)

    def update(self, realm_id: str, entity: str, payload) -> dict:
        payload = _entity_body(payload, entity)
        id_ = _object_id(payload)
        with self.unit(realm_id) as unit:
            row = unit.live(entity, id_)
            if row is None:
                raise faults.object_not_found("Id")
            _check_sync_token(payload, row)
            changes = _writable(entity, payload)
            if payload.get("sparse") is True:
                for name in UNREMOVABLE_BY_SPARSE:
                    if name in changes and not changes[name]:
                        raise faults.required_param(name)
                data = {**_writable(entity, row.data), **changes}
            else:
                data = changes
            new = unit.replace(row, PREPARE[entity](unit, data, row))
            self._after_save(unit, row, new)
            return present(new, mask_tax_id=False)

    def delete(self, realm_id: str, entity: str, payload) -> dict:
        payload = _entity_body(payload, entity)
        if entity not in TRANSACTIONS:
            raise faults.unsupported_operation(
                f"Operation Delete is not supported for {entity}. Make it inactive instead."
            )
        id_ = _object_id(payload)
        with self.unit(realm_id) as unit:
            row = unit.live(entity, id_)
            if row is None:
                raise faults.object_not_found("Id")
            _check_sync_token(payload, row)
            transactions.check_deletable(unit, row)
            gone = unit.mark_deleted(row)
            self._after_save(unit, row, gone)
            return deleted_shape(gone)

    def void(self, realm_id: str, entity: str, payload) -> dict:
        """`?operation=update&include=void`: the payment stays, with nothing paid."""
        payload = _entity_body(payload, entity)
        if entity not in VOIDABLE:
            raise faults.unsupported_operation(f"Operation Void is not supported for {entity}.")
        id_ = _object_id(payload)
        with self.unit(realm_id) as unit:
            row = unit.live(entity, id_)
            if row is None:
                raise faults.object_not_found("Id")
            _check_sync_token(payload, row)
            new = unit.replace(row, VOIDABLE[entity](row), operation="Void")
            self._after_save(unit, row, new)
            return present(new)

    def read(self, realm_id: str, entity: str, id_text: str) -> dict:
        with self.unit(realm_id) as unit:
            if entity == "CompanyInfo":
                rows = unit.all_live("CompanyInfo")
                row = rows[0] if rows and id_text == realm_id else None
            else:
                row = unit.live(entity, int(id_text)) if id_text.isdigit() else None
            if row is None:
                raise faults.object_not_found("Id")
            return present(row)

    @staticmethod
    def _after_save(unit: Unit, old: Row | None, new: Row) -> None:
        hook = transactions.AFTER_SAVE.get(new.entity)
        if hook is not None:
            hook(unit, old, new)
        if (
            new.entity in NAME_LISTS
            and old is not None
            and old.data.get("FullyQualifiedName") != new.data.get("FullyQualifiedName")
        ):
            names.propagate_qualified_names(unit, new)

    # -- queries ---------------------------------------------------------------------------

    def query(self, realm_id: str, text: str) -> dict:
        """The content of `QueryResponse` for one query."""
        parsed = parse(text)
        where, params, order, order_params = compile_sql(parsed, realm_id)
        with self.store.transaction() as conn:
            if parsed.count:
                (total,) = conn.execute(
                    f"SELECT COUNT(*) FROM entity {where}",  # noqa: S608 - compiled, parameterized
                    params,
                ).fetchone()
                return {"totalCount": total}
            rows = conn.execute(
                f"SELECT {ENTITY_COLUMNS} FROM entity {where} {order} LIMIT ? OFFSET ?",  # noqa: S608
                [*params, *order_params, parsed.max_results, parsed.start_position - 1],
            ).fetchall()
        if not rows:
            return {}
        return {
            parsed.entity: [present(Row.from_sql(values)) for values in rows],
            "startPosition": parsed.start_position,
            "maxResults": len(rows),
        }

    def cdc(self, realm_id: str, entities_text: str | None, changed_since: str | None) -> list:
        """The `CDCResponse` list: one QueryResponse per requested entity."""
        if not entities_text:
            raise faults.required_param("entities")
        if not changed_since:
            raise faults.required_param("changedSince")
        since = wire.parse_datetime(changed_since)
        if since is None:
            raise faults.invalid_value(
                "changedSince", f"changedSince is not a valid date/time: {changed_since}"
            )
        if since < wire.company_datetime(wire.now()) - CDC_LOOKBACK:
            raise faults.invalid_value(
                "changedSince", "changedSince cannot be more than 30 days in the past."
            )
        requested = []
        for name in entities_text.split(","):
            entity = PATH_ENTITIES.get(name.strip().lower())
            if entity is None or entity in READ_ONLY_ENTITIES:
                raise faults.invalid_value("entities", f"CDC is not supported for {name.strip()}")
            requested.append(entity)
        responses = []
        budget = CDC_MAX_OBJECTS
        with self.store.transaction() as conn:
            for entity in requested:
                rows = [
                    Row.from_sql(values)
                    for values in conn.execute(
                        f"SELECT {ENTITY_COLUMNS} FROM entity WHERE realm_id = ? AND entity = ? "  # noqa: S608
                        "AND last_updated > ? ORDER BY deleted, last_updated, id LIMIT ?",
                        (realm_id, entity, since.timestamp(), budget),
                    )
                ]
                budget -= len(rows)
                if not rows:
                    responses.append({})
                    continue
                objects = [
                    deleted_shape(row, with_metadata=True) if row.deleted else present(row)
                    for row in rows
                ]
                responses.append({entity: objects, "startPosition": 1, "maxResults": len(rows)})
        return [{"QueryResponse": responses}]

    # -- batch -----------------------------------------------------------------------------

    def batch(
        self, realm_id: str, payload, *, with_request_id: bool, stop_after: int | None = None
    ) -> list:
        """Each item on its own, in order; `stop_after` items only when a fault cuts the batch
        short (the rest are never processed)."""
        items = payload.get("BatchItemRequest") if isinstance(payload, dict) else None
        if not isinstance(items, list) or not items:
            raise faults.required_param("BatchItemRequest")
        if len(items) > BATCH_MAX_ITEMS:
            raise faults.invalid_value(
                "BatchItemRequest",
                f"The maximum number of payloads in a single BatchItemRequest is {BATCH_MAX_ITEMS}."
                f" Supplied:{len(items)}",
            )
        for item in items:
            bid = str(item.get("bId", "")) if isinstance(item, dict) else ""
            if not bid:
                raise faults.required_param("bId")
            if with_request_id and len(bid) > 10:
                raise faults.string_too_long("bId", 10, len(bid))
        return [self._batch_item(realm_id, item) for item in items[:stop_after]]

    def _batch_item(self, realm_id: str, item: dict) -> dict:
        response = {"bId": item["bId"]}
        try:
            if "Query" in item:
                response["QueryResponse"] = self.query(realm_id, item["Query"])
                return response
            operation = item.get("operation")
            entities = [key for key in item if key in PREPARE]
            if len(entities) != 1 or operation not in ("create", "update", "delete"):
                raise faults.invalid_value(
                    "BatchItemRequest", "Each item needs an operation and exactly one entity."
                )
            entity = entities[0]
            action = {"create": self.create, "update": self.update, "delete": self.delete}
            if operation == "create" and isinstance(item[entity], dict):
                item = {**item, entity: {k: v for k, v in item[entity].items() if k != "Id"}}
            response[entity] = action[operation](realm_id, entity, item[entity])
        except faults.QBOFault as fault:
            response["Fault"] = fault.fault()
        return response

    # -- control ---------------------------------------------------------------------------

    def stored(self, realm_id: str, entity: str, include_inactive: bool = True) -> list[dict]:
        with self.store.transaction() as conn:
            rows = conn.execute(
                f"SELECT {ENTITY_COLUMNS} FROM entity WHERE realm_id = ? AND entity = ? "  # noqa: S608
                "AND deleted = 0 AND (active = 1 OR ?) ORDER BY id",
                (realm_id, entity, int(include_inactive)),
            ).fetchall()
        return [present(Row.from_sql(values), mask_tax_id=False) for values in rows]

    def seed_vendors(self, realm_id: str, count: int, prefix: str) -> int:
        """Bulk-insert `count` vendors named '<prefix> 000001'...; returns how many exist now."""
        sample = {"DisplayName": f"{prefix} {count:06d}"}
        check_name_characters(sample, ("DisplayName",))
        check_lengths(sample, {"DisplayName": 100})
        with self.unit(realm_id) as unit:
            currency = wire.dumps(tax.currency_ref(tax.locale(unit).home_currency))
            (existing,) = unit.conn.execute(
                "SELECT COUNT(*) FROM entity WHERE realm_id = ? AND entity = 'Vendor'", (realm_id,)
            ).fetchone()
            (first_id,) = unit.conn.execute(
                "UPDATE company SET next_id = next_id + ? WHERE realm_id = ? RETURNING next_id - ?",
                (count, realm_id, count),
            ).fetchone()
            stamp = wire.metadata_time(unit.now)
            # Written from a template: a JSON encoder call per vendor would triple the time.
            template = (
                '{"DisplayName":%(name)s,"CompanyName":%(name)s,"PrintOnCheckName":%(name)s,'
                '"Active":true,"Vendor1099":false,'
                f'"CurrencyRef":{currency},"Balance":0.0,'
                '"Id":"%(id)d","SyncToken":"0",'
                f'"MetaData":{{"CreateTime":"{stamp}","LastUpdatedTime":"{stamp}"}}}}'
            )
            rows = []
            for offset in range(count):
                display = f"{prefix} {existing + offset + 1:06d}"
                id_ = first_id + offset
                data = template % {"name": json.dumps(display, ensure_ascii=False), "id": id_}
                rows.append(
                    (
                        realm_id,
                        "Vendor",
                        id_,
                        0,
                        1,
                        0,
                        f"party:{display.casefold()}",
                        unit.now,
                        data,
                    )
                )
            try:
                unit.conn.executemany(
                    "INSERT INTO entity (realm_id, entity, id, sync_token, active, deleted, "
                    "name_key, last_updated, data) VALUES (?,?,?,?,?,?,?,?,?)",
                    rows,
                )
            except sqlite3.IntegrityError:
                raise faults.duplicate_name() from None
            return existing + count
