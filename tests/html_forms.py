"""What a browser would post from a page: the values of one of its forms, as rendered.

Tests that play "a page left open" read a form when the page is shown and post it later, after
someone else acted, exactly as a person who never reloaded would.
"""

from __future__ import annotations

from html.parser import HTMLParser


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self._form = {"action": attributes.get("action", ""), "values": {}}
            self.forms.append(self._form)
        if self._form is None or "disabled" in attributes:
            return
        name = attributes.get("name")
        values = self._form["values"]
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in ("submit", "button", "image", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            values.setdefault(name, []).append(
                attributes.get("value", "on" if kind in ("checkbox", "radio") else "")
            )
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select:
            value = attributes.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in attributes:
                values.setdefault(self._select, []).append(value)
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea = name
            values[name] = [""]

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select:
            if not self._select_chosen and self._select_first is not None and self._form:
                self._form["values"].setdefault(self._select, []).append(self._select_first)
            self._select = None
        elif tag == "textarea" and self._textarea and self._form is not None:
            # A browser drops the newline that follows <textarea>.
            text = self._form["values"][self._textarea][0]
            self._form["values"][self._textarea][0] = text.removeprefix("\n")
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form["values"][self._textarea][0] += data


def form_values(html: str, *, containing: str) -> dict[str, list[str]]:
    """The values the first form with a field named `containing` would post."""
    reader = _Forms()
    reader.feed(html)
    for form in reader.forms:
        if containing in form["values"]:
            return {name: list(values) for name, values in form["values"].items()}
    raise AssertionError(f"No form on the page has a field named {containing!r}")
