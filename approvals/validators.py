"""Checks on what people type, shared by the models (and so by every form that saves them)."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError

# Line and paragraph separators end a line too, though Unicode does not call them controls.
_LINE_ENDS = {"\u2028", "\u2029"}


def single_line(value: str) -> None:
    """Refuse line breaks, tabs and other control characters: such a field ends up in an email
    subject, a message or an ERP document number, where a line break breaks or forges it."""
    if any(unicodedata.category(ch) == "Cc" or ch in _LINE_ENDS for ch in value or ""):
        raise ValidationError(
            "This field must be a single line, without line breaks, tabs or other control "
            "characters.",
            code="single_line",
        )
