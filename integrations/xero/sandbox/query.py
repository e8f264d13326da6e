"""Xero's `where` and `order` parameters, evaluated over stored records.

`where` is Xero's dynamic-LINQ filter: comparisons (`==`, `=`, `!=`, `<`, `<=`, `>`, `>=`),
`AND`/`&&`, `OR`/`||`, `NOT`/`!`, parentheses, dotted fields (`Contact.ContactID`), string
methods (`Contains`, `StartsWith`, `EndsWith`, `ToLower`, `ToUpper`, `ToString`), literals
(`"text"`, numbers, `true`, `false`, `null`, `Guid("…")`, `DateTime(2026,1,31)`,
`DateTime.Parse("2026-01-31T00:00:00")`). A malformed one answers 400 `QueryParseException`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from . import faults, wire

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"]|"")*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op>==|!=|<=|>=|&&|\|\||[=<>!().,])
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_STRING_METHODS = {
    "contains": lambda text, arg: arg.lower() in text.lower(),
    "startswith": lambda text, arg: text.lower().startswith(arg.lower()),
    "endswith": lambda text, arg: text.lower().endswith(arg.lower()),
}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str


def tokenize(text: str) -> list[Token]:
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        found = _TOKEN.match(text, position)
        if found is None:
            raise faults.query_parse_error("Syntax error")
        kind = found.lastgroup
        tokens.append(Token(kind, found.group(kind)))
        position = found.end()
    return tokens


class _Parser:
    """Recursive descent into a small tree of tuples, evaluated per record."""

    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.position = 0

    def peek(self) -> Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise faults.query_parse_error("Expression expected")
        self.position += 1
        return token

    def accept(self, *texts: str) -> bool:
        token = self.peek()
        if token is not None and token.kind in ("op", "name") and token.text.upper() in texts:
            self.position += 1
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.accept(text):
            raise faults.query_parse_error(f"'{text}' expected")

    def parse(self):
        tree = self.disjunction()
        if self.peek() is not None:
            raise faults.query_parse_error("Syntax error")
        return tree

    # AND and OR gather their operands in one list, not a nested pair per operator, so that a
    # long chain evaluates in a loop rather than one Python frame per operator.
    def disjunction(self):
        terms = [self.conjunction()]
        while self.accept("OR", "||"):
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else ("or", terms)

    def conjunction(self):
        terms = [self.negation()]
        while self.accept("AND", "&&"):
            terms.append(self.negation())
        return terms[0] if len(terms) == 1 else ("and", terms)

    def negation(self):
        if self.accept("NOT", "!"):
            return ("not", self.negation())
        return self.comparison()

    def comparison(self):
        left = self.operand()
        token = self.peek()
        if (
            token is not None
            and token.kind == "op"
            and token.text in ("==", "=", "!=", "<", "<=", ">", ">=")
        ):
            self.position += 1
            return ("compare", token.text, left, self.operand())
        return ("truth", left)

    def operand(self):
        token = self.take()
        if token.kind == "op" and token.text == "(":
            inner = self.disjunction()
            self.expect(")")
            return self.members(("group", inner))
        if token.kind == "string":
            return self.members(("literal", token.text[1:-1].replace('""', '"')))
        if token.kind == "number":
            return ("literal", Decimal(token.text))
        if token.kind != "name":
            raise faults.query_parse_error("Expression expected")
        word = token.text
        lowered = word.lower()
        if lowered in ("true", "false"):
            return ("literal", lowered == "true")
        if lowered == "null":
            return ("literal", None)
        if lowered == "guid":
            (text,) = self.arguments(1)
            if not isinstance(text, str):
                raise faults.query_parse_error("No applicable constructor exists in type 'Guid'")
            return ("literal", text.lower())
        if lowered == "datetime":
            if self.accept("."):
                method = self.take().text.lower()
                if method != "parse":
                    raise faults.query_parse_error(f"No applicable method '{method}' exists")
                return ("literal", _parse_moment(self.arguments(1)[0]))
            return ("literal", _moment(self.arguments(None)))
        return self.members(("field", [word]))

    def arguments(self, count: int | None) -> list:
        self.expect("(")
        values = []
        if not self.accept(")"):
            while True:
                node = self.operand()
                if node[0] != "literal":
                    raise faults.query_parse_error("Expression expected")
                values.append(node[1])
                if self.accept(")"):
                    break
                self.expect(",")
        if count is not None and len(values) != count:
            raise faults.query_parse_error("Syntax error")
        return values

    def members(self, node):
        while self.accept("."):
            name = self.take()
            if name.kind != "name":
                raise faults.query_parse_error("Identifier expected")
            token = self.peek()
            if token is not None and token.text == "(":
                node = ("call", name.text.lower(), node, self.arguments(None))
            elif node[0] == "field":
                node = ("field", [*node[1], name.text])
            else:
                raise faults.query_parse_error(f"No property or field '{name.text}' exists")
        return node


def _moment(parts: list) -> datetime:
    try:
        numbers = [int(part) for part in parts]
        return datetime(*numbers, tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        raise faults.query_parse_error(
            "No applicable constructor exists in type 'DateTime'"
        ) from None


def _parse_moment(text) -> datetime:
    epoch_ms = wire.parse_datetime_ms(str(text))
    if epoch_ms is None:
        raise faults.query_parse_error("String was not recognized as a valid DateTime.")
    return datetime.fromtimestamp(epoch_ms / 1000, UTC)


def _field(record: dict, path: list[str]):
    value = record
    for name in path:
        if not isinstance(value, dict):
            return None
        match = next((key for key in value if key.lower() == name.lower()), None)
        if match is None:
            return None
        value = value[match]
    if isinstance(value, str) and value.startswith("/Date("):
        epoch_ms = wire.parse_datetime_ms(value)
        return datetime.fromtimestamp(epoch_ms / 1000, UTC) if epoch_ms is not None else value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    return value


def _value(node, record: dict):
    tag = node[0]
    if tag == "literal":
        return node[1]
    if tag == "field":
        return _field(record, node[1])
    if tag == "group":
        return _evaluate(node[1], record)
    _, method, target, arguments = node
    text = _value(target, record)
    if method == "tostring":
        return "" if text is None else str(text)
    if method in ("tolower", "toupper"):
        return (
            None
            if text is None
            else (str(text).lower() if method == "tolower" else str(text).upper())
        )
    if method in _STRING_METHODS:
        if len(arguments) != 1:
            raise faults.query_parse_error(f"No applicable method '{method}' exists")
        return text is not None and _STRING_METHODS[method](str(text), str(arguments[0]))
    raise faults.query_parse_error(f"No applicable method '{method}' exists in type 'String'")


def _comparable(left, right):
    """Strings compare without regard to case; a date field against a DateTime literal."""
    if isinstance(left, str) and isinstance(right, str):
        return left.lower(), right.lower()
    return left, right


def _compare(operator: str, left, right) -> bool:
    left, right = _comparable(left, right)
    if operator in ("==", "="):
        return left == right
    if operator == "!=":
        return left != right
    if left is None or right is None or type(left) is not type(right):
        return False
    return {
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
    }[operator]


def _evaluate(tree, record: dict) -> bool:
    tag = tree[0]
    if tag == "or":
        return any(_evaluate(term, record) for term in tree[1])
    if tag == "and":
        return all(_evaluate(term, record) for term in tree[1])
    if tag == "not":
        return not _evaluate(tree[1], record)
    if tag == "compare":
        return _compare(tree[1], _value(tree[2], record), _value(tree[3], record))
    return _value(tree[1], record) is True


def where_filter(text: str | None):
    """A predicate over records for `where`, or None when there is none."""
    if text is None or not text.strip():
        return None
    try:
        tree = _Parser(tokenize(text)).parse()
    except RecursionError:
        raise faults.query_parse_error("The expression is nested too deeply") from None
    return lambda record: _evaluate(tree, record)


def order_records(records: list[dict], text: str | None) -> list[dict]:
    """Sort by `order` (`Name ASC`, `Date DESC, InvoiceNumber`); stable, absent values last."""
    if text is None or not text.strip():
        return records
    for clause in reversed([part.strip() for part in text.split(",") if part.strip()]):
        words = clause.split()
        if len(words) > 2 or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
            raise faults.query_parse_error("Syntax error")
        path = words[0].split(".")
        descending = len(words) == 2 and words[1].upper() == "DESC"
        keyed = [(_sort_key(record, path), record) for record in records]
        present = [(key, record) for key, record in keyed if key is not None]
        if any(isinstance(key, dict | list) for key, _ in present):
            # Lists and objects (Addresses, Contact) have no order.
            raise faults.query_parse_error(f"'{words[0]}' cannot be used to order")
        present.sort(key=lambda pair: pair[0], reverse=descending)
        records = [record for _, record in present] + [r for key, r in keyed if key is None]
    return records


def _sort_key(record: dict, path: list[str]):
    value = _field(record, path)
    return value.lower() if isinstance(value, str) else value
