"""The QuickBooks query language subset, parsed and compiled to SQLite over the stored JSON.

SELECT * | COUNT(*) FROM <Entity> [WHERE <prop> <op> <value> [AND ...]]
    [ORDERBY | ORDER BY <prop> [ASC|DESC], ...] [STARTPOSITION n] [MAXRESULTS n]
Keywords, entity and property names and string values are case-insensitive; values are quoted
('it\\'s'), bare true/false, or CURRENT_DATE (the company's today); `Id` allows only = and IN.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from . import faults, wire

ENTITIES = (
    "Customer",
    "Vendor",
    "Item",
    "Account",
    "Class",
    "PurchaseOrder",
    "Bill",
    "VendorCredit",
    "Purchase",
    "BillPayment",
    "CompanyInfo",
    "TaxCode",
    "TaxRate",
)
NAME_LISTS = ("Customer", "Vendor", "Item", "Account", "Class")
DEFAULT_MAX_RESULTS = 100
MAX_RESULTS_CAP = 1000

_COMMON = ("Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime")
_PARTY = (
    "Active",
    "DisplayName",
    "GivenName",
    "MiddleName",
    "FamilyName",
    "CompanyName",
    "PrintOnCheckName",
    "PrimaryEmailAddr",
    "Balance",
    "Title",
    "Suffix",
)
_TRANSACTION = (
    "DocNumber",
    "TxnDate",
    "TotalAmt",
    "VendorRef",
    "APAccountRef",
    "CurrencyRef",
    "PrivateNote",
)
FILTERABLE = {
    "Customer": (*_COMMON, *_PARTY, "FullyQualifiedName", "Job", "ParentRef", "Level"),
    "Vendor": (*_COMMON, *_PARTY, "AcctNum", "Vendor1099"),
    "Item": (*_COMMON, "Active", "Name", "FullyQualifiedName", "Type", "Sku", "ParentRef"),
    "Account": (
        *_COMMON,
        "Active",
        "Name",
        "FullyQualifiedName",
        "AccountType",
        "AccountSubType",
        "Classification",
        "AcctNum",
        "ParentRef",
        "CurrentBalance",
    ),
    "Class": (*_COMMON, "Active", "Name", "FullyQualifiedName", "ParentRef"),
    "PurchaseOrder": (*_COMMON, *_TRANSACTION, "POStatus", "DueDate"),
    "Bill": (*_COMMON, *_TRANSACTION, "Balance", "DueDate"),
    "VendorCredit": (*_COMMON, *_TRANSACTION, "Balance"),
    "Purchase": (*_COMMON, *_TRANSACTION, "PaymentType", "AccountRef", "EntityRef", "Credit"),
    "BillPayment": (*_COMMON, *_TRANSACTION, "PayType"),
    "CompanyInfo": (*_COMMON, "CompanyName"),
    "TaxCode": (*_COMMON, "Name", "Active", "Taxable", "TaxGroup"),
    "TaxRate": (*_COMMON, "Name", "Active", "RateValue"),
}

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:\\.|[^'\\])*')|(?P<number>\d+)|(?P<word>[A-Za-z_][A-Za-z0-9_.]*)"
    r"|(?P<symbol><=|>=|!=|<>|[=<>(),*]))"
)
_OPERATORS = ("=", "<", ">", "<=", ">=")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    column: int


@dataclass
class Condition:
    field: str
    operator: str  # = < > <= >= IN LIKE
    values: list[str]


@dataclass
class Query:
    entity: str
    count: bool = False
    conditions: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    start_position: int = 1
    max_results: int = DEFAULT_MAX_RESULTS


def _tokenize(text: str) -> list[Token]:
    tokens = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None:
            column = position + len(text[position:]) - len(text[position:].lstrip()) + 1
            raise faults.query_parse_error(
                f"Invalid content. Lexical error at line 1, column {column}.  "
                f'Encountered: "{text[column - 1]}"'
            )
        kind = match.lastgroup
        start = match.start(kind)
        tokens.append(Token(kind, match.group(kind), start + 1))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str):
        if not text or not text.strip():
            raise faults.query_parse_error("The query provided was empty")
        self.tokens = _tokenize(text)
        self.index = 0

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def fail(self, expected: str):
        token = self.peek()
        if token is None:
            raise faults.query_parse_error(
                f'Encountered "<EOF>" at end of query.\nWas expecting:\n    {expected} ...\n    '
            )
        raise faults.query_parse_error(
            f'Encountered " <{token.kind.upper()}> "{token.text} "" at line 1, column '
            f"{token.column}.\nWas expecting:\n    {expected} ...\n    "
        )

    def keyword(self, *words: str) -> str | None:
        token = self.peek()
        if token is not None and token.kind == "word" and token.text.lower() in words:
            self.index += 1
            return token.text.lower()
        return None

    def expect_keyword(self, word: str) -> None:
        if self.keyword(word) is None:
            self.fail(f'"{word}"')

    def symbol(self, *symbols: str) -> str | None:
        token = self.peek()
        if token is not None and token.kind == "symbol" and token.text in symbols:
            self.index += 1
            return token.text
        return None

    def expect_symbol(self, symbol: str) -> None:
        if self.symbol(symbol) is None:
            self.fail(f'"{symbol}"')

    def identifier(self) -> str:
        token = self.peek()
        if token is None or token.kind != "word":
            self.fail("<IDENTIFIER>")
        self.index += 1
        return token.text

    def number(self) -> int:
        token = self.peek()
        if token is None or token.kind != "number":
            self.fail("<INTEGER>")
        self.index += 1
        return int(token.text)

    def value(self) -> str:
        token = self.peek()
        if token is not None and token.kind == "string":
            self.index += 1
            return re.sub(r"\\(.)", r"\1", token.text[1:-1])
        if token is not None and token.kind == "word" and token.text.lower() in ("true", "false"):
            self.index += 1
            return token.text.lower()
        if token is not None and token.kind == "word" and token.text.lower() == "current_date":
            self.index += 1
            return wire.company_today()
        self.fail('"true" ...\n    "false" ...\n    "current_date" ...\n    <STRING>')
        raise AssertionError  # fail() always raises

    def parse(self) -> Query:
        self.expect_keyword("select")
        count = False
        if self.keyword("count"):
            self.expect_symbol("(")
            self.expect_symbol("*")
            self.expect_symbol(")")
            count = True
        else:
            if self.symbol("*") is None:
                self.identifier()
            while self.symbol(","):
                self.identifier()
        self.expect_keyword("from")
        query = Query(entity=self._entity(self.identifier()), count=count)
        if self.keyword("where"):
            query.conditions.append(self._condition(query.entity))
            while self.keyword("and"):
                query.conditions.append(self._condition(query.entity))
        if self.keyword("orderby") or (self.keyword("order") and self._by()):
            query.order.append(self._order_term(query.entity))
            while self.symbol(","):
                query.order.append(self._order_term(query.entity))
        seen = set()
        while (word := self.keyword("startposition", "maxresults")) and word not in seen:
            seen.add(word)
            number = self.number()
            if word == "startposition":
                if number < 1:
                    raise faults.query_validation_error("STARTPOSITION must be 1 or greater")
                query.start_position = number
            else:
                query.max_results = min(number, MAX_RESULTS_CAP)
        if self.peek() is not None:
            self.fail(
                '<EOF> \n    <AND> ...\n    "orderby" ...\n    "startposition" ...\n    "maxresults"'
            )
        return query

    def _by(self) -> bool:
        self.expect_keyword("by")
        return True

    @staticmethod
    def _entity(name: str) -> str:
        for entity in ENTITIES:
            if entity.lower() == name.lower():
                return entity
        raise faults.query_validation_error(f"Entity {name} is not supported")

    @staticmethod
    def _field(entity: str, name: str) -> str:
        for candidate in FILTERABLE[entity]:
            if candidate.lower() == name.lower():
                return candidate
        raise faults.query_validation_error(f"Property {name} not found for Entity {entity}")

    def _condition(self, entity: str) -> Condition:
        name = self._field(entity, self.identifier())
        if self.keyword("in"):
            self.expect_symbol("(")
            values = [self.value()]
            while self.symbol(","):
                values.append(self.value())
            self.expect_symbol(")")
            return Condition(name, "IN", values)
        if self.keyword("like"):
            return Condition(name, "LIKE", [self.value()])
        operator = self.symbol(*_OPERATORS)
        if operator is None:
            self.fail('"=" ...\n    "<" ...\n    ">" ...\n    "in" ...\n    "like"')
        if name == "Id" and operator != "=":
            raise faults.query_validation_error(f"Operator {operator} is not supported for Id")
        return Condition(name, operator, [self.value()])

    def _order_term(self, entity: str) -> tuple[str, bool]:
        name = self._field(entity, self.identifier())
        descending = self.keyword("asc", "desc") == "desc"
        return name, descending


def parse(text: str) -> Query:
    return _Parser(text).parse()


def _json_path(name: str) -> str:
    path = "$." + name
    return path + ".value" if name.endswith("Ref") else path


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None


def _compare(stored, operator: str, literal: str) -> bool:
    if stored is None:
        return operator == "=" and literal.strip() == ""
    if isinstance(stored, int | float):
        lowered = literal.strip().lower()
        right = Decimal(1 if lowered == "true" else 0) if lowered in ("true", "false") else None
        right = right if right is not None else _decimal(lowered)
        if right is None:
            return False
        left = Decimal(str(stored))
    elif _DATE.match(stored) and _DATE.match(literal.strip()):
        left_text, right_text = stored, literal.strip()
        if len(left_text) == 10 or len(right_text) == 10:
            left, right = left_text[:10], right_text[:10]
        else:
            left, right = wire.parse_datetime(left_text), wire.parse_datetime(right_text)
            if left is None or right is None:
                return False
    else:
        left, right = str(stored).casefold(), literal.casefold()
    return {
        "=": left == right,
        "<": left < right,
        ">": left > right,
        "<=": left <= right,
        ">=": left >= right,
    }[operator]


def qbo_match(stored, operator: str, literal: str) -> bool:
    if operator == "IN":
        return any(_compare(stored, "=", value) for value in json.loads(literal))
    return _compare(stored, operator, literal)


def register_functions(conn) -> None:
    conn.create_function("qbo_match", 3, qbo_match, deterministic=True)


def _condition_sql(entity: str, condition: Condition) -> tuple[str, list]:
    values = condition.values
    if condition.field == "Id":
        ids = [int(value) for value in values if value.strip().isdigit()]
        if not ids:
            return "0", []
        return f"id IN ({','.join('?' * len(ids))})", ids
    if condition.field == "Active" and condition.operator in ("=", "IN"):
        flags = sorted({1 if value == "true" else 0 for value in values})
        return f"active IN ({','.join('?' * len(flags))})", flags
    if (
        condition.field == "DisplayName"
        and condition.operator == "="
        and entity
        in (
            "Customer",
            "Vendor",
        )
    ):
        return "name_key = ?", [f"party:{values[0].strip().casefold()}"]
    if condition.field == "MetaData.LastUpdatedTime" and condition.operator in _OPERATORS:
        epoch = wire.epoch_of(values[0])
        if epoch is None:
            raise faults.query_validation_error(f"Invalid date/time value {values[0]}")
        return f"last_updated {condition.operator} ?", [epoch]
    if condition.operator == "LIKE":
        # SQLite's LIKE is case-insensitive; only QuickBooks' '%' is a wildcard, so '_' is not.
        pattern = values[0].replace("\\", "\\\\").replace("_", "\\_")
        return "json_extract(data, ?) LIKE ? ESCAPE '\\'", [_json_path(condition.field), pattern]
    literal = json.dumps(values) if condition.operator == "IN" else values[0]
    return (
        "qbo_match(json_extract(data, ?), ?, ?)",
        [_json_path(condition.field), condition.operator, literal],
    )


def compile_sql(query: Query, realm_id: str) -> tuple[str, list, str, list]:
    """WHERE and ORDER BY (each with its parameters); name lists are active-only by default."""
    clauses = ["realm_id = ?", "entity = ?", "deleted = 0"]
    params: list = [realm_id, query.entity]
    if query.entity in NAME_LISTS and not any(c.field == "Active" for c in query.conditions):
        clauses.append("active = 1")
    for condition in query.conditions:
        sql, values = _condition_sql(query.entity, condition)
        clauses.append(sql)
        params.extend(values)
    order: list[str] = []
    order_params: list = []
    for name, descending in query.order:
        direction = "DESC" if descending else "ASC"
        if name == "Id":
            order.append(f"id {direction}")
        elif name == "MetaData.LastUpdatedTime":
            order.append(f"last_updated {direction}")
        else:
            order.append(
                "CASE WHEN typeof(json_extract(data, ?)) = 'text' THEN lower(json_extract(data, ?))"
                f" ELSE json_extract(data, ?) END {direction}"
            )
            order_params.extend([_json_path(name)] * 3)
    order.append("id ASC")
    return f"WHERE {' AND '.join(clauses)}", params, f"ORDER BY {', '.join(order)}", order_params
