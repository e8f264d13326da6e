"""Ids that people type or pages post: plain ASCII digits that fit a database key, or nothing.

`str.isdigit()` alone lets '²' through (int() refuses it) and any length (the database refuses
a number past its 64-bit keys), so every id from a request is read here.
"""

from __future__ import annotations

LARGEST_KEY = 2**63 - 1


def parsed_id(text) -> int | None:
    """The id `text` names, or None when it is not one."""
    text = str(text).strip()
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= LARGEST_KEY else None


def parsed_ids(raw: str) -> list[int]:
    """'12, 14' → [12, 14]; whatever is not an id is left out."""
    return [value for part in raw.split(",") if (value := parsed_id(part)) is not None]
