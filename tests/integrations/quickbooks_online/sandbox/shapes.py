"""Compare a sandbox response with a recorded one: same keys, same JSON types."""

from __future__ import annotations

from decimal import Decimal


def json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | Decimal | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def assert_same_shape(actual, recorded, *, ignore: tuple[str, ...] = (), path: str = "$") -> None:
    """Every key of `recorded` (recursively; lists by their first element) is in `actual` with
    the same JSON type. Keys named in `ignore` are skipped wherever they appear."""
    assert json_type(actual) == json_type(recorded), f"{path}: {actual!r} vs {recorded!r}"
    if isinstance(recorded, dict):
        for key, value in recorded.items():
            if key in ignore:
                continue
            assert key in actual, f"{path}.{key} is missing; sandbox has {sorted(actual)}"
            assert_same_shape(actual[key], value, ignore=ignore, path=f"{path}.{key}")
    elif isinstance(recorded, list) and recorded and actual:
        assert_same_shape(actual[0], recorded[0], ignore=ignore, path=f"{path}[0]")
