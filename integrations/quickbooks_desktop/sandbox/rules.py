"""The qbXML 12.0 rules this sandbox enforces, read from qbxml120.rules.

QuickBooks' request processor checks every request against the schema before it runs any of
it: an element out of order, one the schema does not allow there, a missing required one or a
value of the wrong type fails the whole message (HRESULT 0x80040400). `check(element)` does the
same for the requests described in the rules file; `model(name)` gives the children of an answer
in the order QuickBooks writes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from xml.etree.ElementTree import Element

RULES_FILE = Path(__file__).with_name("qbxml120.rules")
UNBOUNDED = None
_OCCURS = r"(?:\?|\*|\+|\{\d+,\d*\})?"
_TOKEN = re.compile(rf"\(|\){_OCCURS}|\||[A-Za-z0-9_]+(?::(?:enum:)?[A-Za-z0-9_]+)?{_OCCURS}")


class SchemaError(ValueError):
    """A request QuickBooks would refuse to parse; the text says where and why."""


@dataclass(frozen=True)
class Child:
    name: str
    value_type: str | None  # None: the child has a model of its own


@dataclass(frozen=True)
class Repeat:
    part: object
    least: int
    most: int | None


@dataclass(frozen=True)
class Sequence:
    parts: tuple


@dataclass(frozen=True)
class Choice:
    alternatives: tuple


def _occurs(suffix: str) -> tuple[int, int | None]:
    if suffix == "":
        return 1, 1
    if suffix == "?":
        return 0, 1
    if suffix == "*":
        return 0, UNBOUNDED
    if suffix == "+":
        return 1, UNBOUNDED
    least, most = suffix[1:-1].split(",")
    return int(least), int(most) if most else UNBOUNDED


def _wrap(part, suffix: str):
    least, most = _occurs(suffix)
    return part if (least, most) == (1, 1) else Repeat(part, least, most)


def _parse_model(text: str) -> Sequence:
    tokens = _TOKEN.findall(text)
    if "".join(tokens) != text.replace(" ", ""):
        raise ValueError(f"Unreadable model: {text}")
    position = 0

    def sequence(stop: tuple[str, ...]) -> Sequence:
        nonlocal position
        parts = []
        while position < len(tokens) and not tokens[position].startswith(stop):
            token = tokens[position]
            position += 1
            if token == "(":
                alternatives = [sequence((")", "|"))]
                while tokens[position] == "|":
                    position += 1
                    alternatives.append(sequence((")", "|")))
                closing = tokens[position]
                position += 1
                parts.append(_wrap(Choice(tuple(alternatives)), closing[1:]))
                continue
            match = re.fullmatch(
                rf"([A-Za-z0-9_]+)(?::((?:enum:)?[A-Za-z0-9_]+))?({_OCCURS})", token
            )
            name, value_type, suffix = match.groups()
            parts.append(_wrap(Child(name, value_type), suffix))
        return Sequence(tuple(parts))

    return sequence(("\0",))


@cache
def _rules() -> tuple[dict[str, Sequence], dict[str, tuple[str, ...]]]:
    models: dict[str, Sequence] = {}
    enums: dict[str, tuple[str, ...]] = {}
    for line in RULES_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        head, _, body = line.partition(" = ")
        if head.startswith("enum "):
            enums[head[5:]] = tuple(body.split())
        else:
            models[head] = _parse_model(body)
    return models, enums


def has_model(name: str) -> bool:
    return name in _rules()[0]


def children_in_order(name: str) -> list[str]:
    """Every child element a model allows, in the schema's order (for writing answers)."""
    found: list[str] = []

    def walk(part) -> None:
        if isinstance(part, Child):
            if part.name not in found:
                found.append(part.name)
        elif isinstance(part, Repeat):
            walk(part.part)
        else:
            for inner in part.parts if isinstance(part, Sequence) else part.alternatives:
                walk(inner)

    walk(_rules()[0][name])
    return found


def _ends(part, names: list[str], starts: set[int], reached: list[int]) -> set[int]:
    """Positions in `names` where `part` can end when it starts at any of `starts`."""
    if isinstance(part, Child):
        ends = {p + 1 for p in starts if p < len(names) and names[p] == part.name}
    elif isinstance(part, Sequence):
        ends = starts
        for inner in part.parts:
            ends = _ends(inner, names, ends, reached)
    elif isinstance(part, Choice):
        ends = set()
        for alternative in part.alternatives:
            ends |= _ends(alternative, names, starts, reached)
    else:
        ends = set(starts) if part.least == 0 else set()
        current, count = set(starts), 0
        while current and (part.most is None or count < part.most):
            current = _ends(part.part, names, current, reached)
            count += 1
            if count >= part.least:
                fresh = current - ends
                ends |= current
                if part.most is None:
                    current = fresh  # positions already explored add nothing new
    if ends:
        reached[0] = max(reached[0], *ends)
    return ends


def _child_types(part, into: dict[str, str | None]) -> None:
    if isinstance(part, Child):
        into.setdefault(part.name, part.value_type)
    elif isinstance(part, Repeat):
        _child_types(part.part, into)
    else:
        for inner in part.parts if isinstance(part, Sequence) else part.alternatives:
            _child_types(inner, into)


_PATTERNS = {
    "AMT": re.compile(r"([+-]?[0-9]{1,13}(\.[0-9]{2})?)?"),
    "PRICE": re.compile(r"([+-]?[0-9]{1,10}(\.[0-9]{1,5})?)?"),
    "QUAN": re.compile(r"([+-]?[0-9]{1,10}(\.[0-9]{1,5})?)?"),
    "PERCENT": re.compile(r"([+-]?[0-9]{1,10}(\.[0-9]{1,5})?)?"),
    "DATETIME": re.compile(
        r"([0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(T[0-9]{1,2}(:[0-9]{1,2}(:[0-9]{1,2}"
        r"([+-][0-9]{1,2}:[0-9]{1,2})?)?)?)?)?"
    ),
    "BOOL": re.compile(r"true|false|1|0|"),
    "INT": re.compile(r"[+-]?[0-9]+"),
    "FLOAT": re.compile(r"([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+))?"),
    "GUID": re.compile(r"0|\{[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\}"),
}


def _check_value(path: str, value_type: str, text: str) -> None:
    if value_type.startswith("enum:"):
        allowed = _rules()[1][value_type[5:]]
        if text not in allowed:
            raise SchemaError(f"{path}: {text!r} is not one of {', '.join(allowed)}.")
        return
    length = re.fullmatch(r"(STR|ID)(\d*)", value_type)
    if length:
        limit = int(length.group(2) or (36 if length.group(1) == "ID" else 0))
        if limit and len(text) > limit:
            raise SchemaError(f"{path}: {len(text)} characters, at most {limit} allowed.")
        return
    if value_type == "DATE":
        try:
            if text:
                date.fromisoformat(text)
        except ValueError:
            raise SchemaError(f"{path}: {text!r} is not a date (YYYY-MM-DD).") from None
        if text and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise SchemaError(f"{path}: {text!r} is not a date (YYYY-MM-DD).")
        return
    if not _PATTERNS[value_type].fullmatch(text):
        raise SchemaError(f"{path}: {text!r} is not a valid {value_type} value.")


def check(element: Element, model_name: str | None = None, path: str = "") -> None:
    """Raise SchemaError unless `element` follows its model (its tag's unless named)."""
    models = _rules()[0]
    name = model_name or element.tag
    path = f"{path}/{element.tag}" if path else element.tag
    model = models[name]
    children = list(element)
    if any((part or "").strip() for part in [element.text, *(c.tail for c in children)]):
        raise SchemaError(f"{path}: text is not allowed here, only elements.")
    names = [child.tag for child in children]
    types: dict[str, str | None] = {}
    _child_types(model, types)
    for child in children:
        if child.tag not in types:
            raise SchemaError(f"{path}: {child.tag} is not an element QuickBooks knows here.")
    reached = [0]
    if len(names) not in _ends(model, names, {0}, reached):
        if reached[0] < len(names):
            raise SchemaError(
                f"{path}: {names[reached[0]]} is out of order, repeated or not allowed after "
                f"{names[reached[0] - 1] if reached[0] else 'the start'}."
            )
        raise SchemaError(f"{path}: a required element is missing.")
    for child in children:
        value_type = types[child.tag]
        if value_type is None:
            check(child, child.tag, path)
        elif len(child):
            raise SchemaError(f"{path}/{child.tag}: a value, not elements, is expected.")
        else:
            _check_value(f"{path}/{child.tag}", value_type, child.text or "")
