"""The one place that speaks HTTP to QuickBooks Online (Accounting API v3).

Every call carries `minorversion`; every write carries a `requestid`, so a retry after a lost
answer makes QuickBooks replay its first answer instead of doing the work twice. Each call is one
attempt (a refreshed token aside): a failure is raised at once as an integrations.base error
whose message an accountant can read, and whoever called decides when to try again (the export
service reschedules the export; see integrations.base). A 429 is a RateLimitedError carrying the
wait QuickBooks asked for; nothing here sleeps through it.

Tokens: the access token is refreshed when it expires within a minute, and once more when
QuickBooks answers 401. The refresh runs under a row lock on the ERPConnection and the newest
refresh token is saved at once, so two workers never spend the same (rolling) refresh token.
Call the client outside a database transaction: a rolled-back transaction would lose the newest
refresh token, and the old one no longer works.

Amounts go out as exact JSON numbers from Decimal (floats are refused) and come back as Decimal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings
from django.utils import timezone
from requests.adapters import HTTPAdapter

from integrations import rate_limits as shared_limits
from integrations.base import NotConnectedError, TransientERPError
from integrations.exact_json import to_json
from integrations.models import ERPConnection, ERPKind
from integrations.oauth_tokens import ensure_fresh_token, refresh_tokens
from integrations.quickbooks_online import errors, oauth
from integrations.quickbooks_online.limits import rate_limits
from integrations.registry import disconnected_message

MAX_REQUEST_ID_LENGTH = 50
MAX_BATCH_REQUEST_ID_LENGTH = 36
MAX_BATCH_ID_LENGTH = 10
MAX_BATCH_ITEMS = 30
MAX_PAGE_SIZE = 1000
ERP_NAME = "QuickBooks Online"
DISCONNECTED = f"{ERP_NAME} is disconnected. {errors.RECONNECT_ADVICE}"
ENTITY_NAME = re.compile(r"[A-Za-z]+")
ORDER_BY = re.compile(r"[A-Za-z][A-Za-z.]*( (ASC|DESC))?", re.IGNORECASE)


class QuickBooksClient:
    """Calls to one connected QuickBooks Online company (the connection's realm)."""

    def __init__(self, connection: ERPConnection):
        if connection.kind != ERPKind.QUICKBOOKS_ONLINE:
            raise ValueError(f"{connection} is not a QuickBooks Online connection.")
        if not connection.is_active:
            raise NotConnectedError(DISCONNECTED)
        if connection.authorization_unreadable:
            raise NotConnectedError(disconnected_message(connection))
        config = settings.QUICKBOOKS_ONLINE
        self.connection = connection
        self.realm_id = connection.company_id
        self.base_url = (
            f"{config['API_BASE_URL'].rstrip('/')}/v3/company/{quote(self.realm_id, safe='')}"
        )
        self.minor_version = str(config["MINOR_VERSION"])
        self.timeout = oauth.request_timeout()
        self.throttle_wait = float(config.get("RATE_WINDOW_SECONDS", 60))
        self.limits = rate_limits()
        self.session = requests.Session()
        pool = max(1, int(config["MAX_CONCURRENT"]))
        self.session.mount("https://", HTTPAdapter(pool_connections=1, pool_maxsize=pool))
        self.session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=pool))

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> QuickBooksClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # Entities -------------------------------------------------------------------------------

    def create(self, entity: str, payload: dict, *, request_id: str) -> dict:
        """Create one entity (e.g. "Vendor"); returns the stored object with its Id and SyncToken."""
        body = self._send(
            "POST",
            _entity_path(entity),
            params={"requestid": _checked_request_id(request_id, MAX_REQUEST_ID_LENGTH)},
            json_body=payload,
            payload=payload,
        )
        return _unwrap(body, entity)

    def read(self, entity: str, entity_id: str) -> dict:
        body = self._send("GET", f"{_entity_path(entity)}/{quote(str(entity_id), safe='')}")
        return _unwrap(body, entity)

    def update(self, entity: str, payload: dict, *, request_id: str, sparse: bool = False) -> dict:
        """Full update (omitted fields are cleared) or, with sparse=True, only the given fields."""
        if not payload.get("Id") or payload.get("SyncToken") in (None, ""):
            raise ValueError("An update needs the document's Id and its current SyncToken.")
        if sparse:
            payload = {**payload, "sparse": True}
        body = self._send(
            "POST",
            _entity_path(entity),
            params={"requestid": _checked_request_id(request_id, MAX_REQUEST_ID_LENGTH)},
            json_body=payload,
            payload=payload,
        )
        return _unwrap(body, entity)

    def delete(self, entity: str, entity_id: str, sync_token: str, *, request_id: str) -> dict:
        """Delete a transaction; returns {"status": "Deleted", "Id": ...}."""
        body = self._send(
            "POST",
            _entity_path(entity),
            params={
                "operation": "delete",
                "requestid": _checked_request_id(request_id, MAX_REQUEST_ID_LENGTH),
            },
            json_body={"Id": str(entity_id), "SyncToken": str(sync_token)},
        )
        return _unwrap(body, entity)

    def void(self, entity: str, entity_id: str, sync_token: str, *, request_id: str) -> dict:
        """Void a payment as Intuit documents it (a sparse update with include=void): it stays,
        zeroed, with nothing paid."""
        body = self._send(
            "POST",
            _entity_path(entity),
            params={
                "operation": "update",
                "include": "void",
                "requestid": _checked_request_id(request_id, MAX_REQUEST_ID_LENGTH),
            },
            json_body={"Id": str(entity_id), "SyncToken": str(sync_token), "sparse": True},
        )
        return _unwrap(body, entity)

    def preferences(self) -> dict:
        """The company's Preferences (AccountingInfoPrefs.BookCloseDate is the closing date)."""
        return _unwrap(self._send("GET", "preferences"), "Preferences")

    def company_info(self) -> dict:
        """The connected company's CompanyInfo (CompanyName, LegalName, Country...)."""
        return self.read("CompanyInfo", self.realm_id)

    # Queries --------------------------------------------------------------------------------

    def query(self, statement: str) -> dict:
        """One page of a query: the QueryResponse dict (an empty dict when nothing matched)."""
        body = self._send("POST", "query", text_body=statement, content_type="application/text")
        response = body.get("QueryResponse")
        if not isinstance(response, dict):
            raise _unreadable("the answer to a query had no QueryResponse", body)
        return response

    def query_all(
        self, entity: str, where: str = "", *, order_by: str = "Id", page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[dict]:
        """Every matching row, page after page (STARTPOSITION), in `order_by` order.

        `where` is a condition without the WHERE keyword; quote values with `query_literal`.
        """
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}.")
        if not ORDER_BY.fullmatch(order_by):
            raise ValueError(f"{order_by!r} is not a QuickBooks Online sort order.")
        # QuickBooks' query language over HTTP, not SQL: entity and order are validated above.
        base = f"SELECT * FROM {_entity_name(entity)}{_where(where)} ORDERBY {order_by}"  # noqa: S608
        position = 1
        while True:
            page = self.query(f"{base} STARTPOSITION {position} MAXRESULTS {page_size}")
            rows = _entity_value(page, entity) or []
            yield from rows
            if len(rows) < page_size:
                return
            position += page_size

    def count(self, entity: str, where: str = "") -> int:
        statement = f"SELECT COUNT(*) FROM {_entity_name(entity)}{_where(where)}"  # noqa: S608
        response = self.query(statement)
        return int(response.get("totalCount", 0))

    # Batch and change data capture ----------------------------------------------------------

    def batch(self, operations: list[dict], *, request_id: str) -> list[dict]:
        """Up to 30 operations in one call; returns their BatchItemResponse items in the order
        given. Each item holds the entity (or QueryResponse) or a Fault: read a Fault with
        `errors.error_for_batch_item(item, payload=...)`. Operations without a bId get one.
        """
        if len(operations) > MAX_BATCH_ITEMS:
            raise ValueError(
                f"A QuickBooks Online batch holds at most {MAX_BATCH_ITEMS} operations, "
                f"not {len(operations)}."
            )
        checked_id = _checked_request_id(request_id, MAX_BATCH_REQUEST_ID_LENGTH)
        if not operations:
            return []
        items = []
        for index, operation in enumerate(operations, start=1):
            batch_id = str(operation.get("bId") or index)
            if len(batch_id) > MAX_BATCH_ID_LENGTH:
                raise ValueError(
                    f"The batch item id {batch_id!r} is longer than {MAX_BATCH_ID_LENGTH} characters."
                )
            items.append({**operation, "bId": batch_id})
        if len({item["bId"] for item in items}) != len(items):
            raise ValueError("Every operation of a batch needs its own bId.")
        body = self._send(
            "POST",
            "batch",
            params={"requestid": checked_id},
            json_body={"BatchItemRequest": items},
            batch=True,
        )
        answers = body.get("BatchItemResponse")
        if not isinstance(answers, list):
            raise _unreadable("the answer to a batch had no BatchItemResponse", body)
        by_id = {str(answer.get("bId")): answer for answer in answers if isinstance(answer, dict)}
        missing = [item["bId"] for item in items if item["bId"] not in by_id]
        if missing:
            raise _unreadable(f"the answer to a batch left out items {missing}", body)
        return [by_id[item["bId"]] for item in items]

    def cdc(self, entities: list[str], changed_since: datetime) -> dict[str, list[dict]]:
        """Objects of these entities changed since a moment (QuickBooks looks back 30 days at
        most); deleted ones come as {"Id", "status": "Deleted", "MetaData"}.
        """
        if not entities:
            raise ValueError("Name at least one entity for change data capture.")
        if timezone.is_naive(changed_since):
            raise ValueError("changed_since must carry a time zone.")
        names = [_entity_name(entity) for entity in entities]
        body = self._send(
            "GET",
            "cdc",
            params={
                "entities": ",".join(names),
                "changedSince": changed_since.isoformat(timespec="seconds"),
            },
        )
        changes: dict[str, list[dict]] = {name: [] for name in names}
        responses = body.get("CDCResponse")
        if not isinstance(responses, list):
            raise _unreadable("the change data capture answer had no CDCResponse", body)
        for response in responses:
            for query_response in response.get("QueryResponse") or []:
                for name in names:
                    changes[name].extend(_entity_value(query_response, name) or [])
        return changes

    # Transport ------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        json_body: Any = None,
        text_body: str | None = None,
        content_type: str = "application/json",
        batch: bool = False,
        payload: dict | None = None,
    ) -> dict:
        url = f"{self.base_url}/{path}"
        query = {**(params or {}), "minorversion": self.minor_version}
        data = to_json(json_body, erp_name=ERP_NAME) if json_body is not None else text_body
        refreshed = False
        while True:
            self._ensure_fresh_token()
            token = self.connection.access_token
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            if data is not None:
                headers["Content-Type"] = content_type
            try:
                with self._counted(batch=batch):
                    response = self.session.request(
                        method,
                        url,
                        params=query,
                        data=data.encode() if data is not None else None,
                        headers=headers,
                        timeout=self.timeout,
                    )
            except requests.RequestException as exc:
                raise errors.error_for_exception(exc) from exc
            if response.status_code == 401 and not refreshed:
                # The one second attempt: the token expired early, or another worker refreshed.
                refreshed = True
                self._refresh_tokens(rejected_token=token)
                continue
            try:
                return errors.read_answer(
                    response, payload=payload, throttle_wait=self.throttle_wait
                )
            except errors.ThrottledError as error:
                # Another app on the company, or limits set above QuickBooks' own: every
                # worker holds back for as long as QuickBooks asked.
                shared_limits.pause(self.connection, error.retry_after or self.throttle_wait)
                raise

    def _counted(self, *, batch: bool) -> AbstractContextManager:
        """A place for this call in the company's rate limits, shared by every worker."""
        return shared_limits.call_slot(self.connection, self.limits, erp_name=ERP_NAME, batch=batch)

    def _ensure_fresh_token(self) -> None:
        ensure_fresh_token(self.connection, refresh=oauth.refresh, disconnected=DISCONNECTED)

    def _refresh_tokens(self, *, rejected_token: str | None) -> None:
        refresh_tokens(
            self.connection,
            rejected_token=rejected_token,
            refresh=oauth.refresh,
            disconnected=DISCONNECTED,
        )


def query_literal(value: str) -> str:
    """A quoted value for the query language ('Adam\\'s Candy Shop')."""
    return "'" + str(value).replace("'", "\\'") + "'"


def _checked_request_id(request_id: str, limit: int) -> str:
    if not request_id or not isinstance(request_id, str):
        raise ValueError("Every write to QuickBooks Online needs a requestid.")
    if len(request_id) > limit:
        raise ValueError(f"The requestid {request_id!r} is longer than {limit} characters.")
    return request_id


def _entity_name(entity: str) -> str:
    if not ENTITY_NAME.fullmatch(entity or ""):
        raise ValueError(f"{entity!r} is not a QuickBooks Online entity name.")
    return entity


def _entity_path(entity: str) -> str:
    return _entity_name(entity).lower()


def _where(where: str) -> str:
    return f" WHERE {where}" if where.strip() else ""


def _entity_value(container: dict, entity: str) -> Any:
    """container[entity], tolerating a different capitalisation of the entity name."""
    if entity in container:
        return container[entity]
    wanted = entity.lower()
    return next((value for key, value in container.items() if key.lower() == wanted), None)


def _unwrap(body: dict, entity: str) -> dict:
    value = _entity_value(body, entity)
    if not isinstance(value, dict):
        raise _unreadable(f"the answer had no {entity}", body)
    return value


def _unreadable(what: str, body: Any) -> TransientERPError:
    """QuickBooks answered 200 but not as documented: we cannot tell what it did."""
    return TransientERPError(
        "QuickBooks Online sent an answer we could not read; "
        "we will check what happened and try again.",
        detail=what,
        status=200,
        response_body=body,
    )
