"""Formsets render one select per line; the options are read from the database once, not per line."""


def share_choices(forms, *names: str) -> None:
    if not forms:
        return
    for name in names:
        options = list(forms[0].fields[name].choices)
        for form in forms:
            form.fields[name].widget.choices = options
