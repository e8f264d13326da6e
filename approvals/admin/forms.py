"""The questions an accountant answers on a decision page."""

from django import forms

from integrations.questions import AcceptQuestions


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Reason for the rejection",
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="The sender reads this to fix the record and send it again.",
        error_messages={
            "required": "Please say why you reject it: the sender needs the reason to fix it."
        },
    )


LINK = "link:"
CREATE = "create"


class LookalikeQuestionsForm(forms.Form):
    """For each record that looks like a vendor or job the ERP already has: link to it, or
    create a new one and say why. Creating is never the silent default: one must be chosen."""

    def __init__(self, *args, lookalikes: dict[int, list], kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.lookalikes = lookalikes
        for pk, found in lookalikes.items():
            options = [
                (
                    f"{LINK}{lookalike.erp_id}",
                    f"Link it to the existing {kind} '{lookalike.name}' (id {lookalike.erp_id})",
                )
                for lookalike in found
                if lookalike.linkable
            ]
            options.append((CREATE, f"Create a new {kind}"))
            self.fields[match_field_name(pk)] = forms.ChoiceField(
                choices=options,
                widget=forms.RadioSelect,
                required=False,
                label="Link or create",
            )
            self.fields[reason_field_name(pk)] = forms.CharField(
                required=False,
                max_length=2000,
                label=f"Why a new {kind} is needed",
                widget=forms.TextInput(attrs={"size": 60}),
            )

    def clean(self):
        cleaned = super().clean()
        for pk in self.lookalikes:
            choice = cleaned.get(match_field_name(pk))
            if not choice:
                self.add_error(
                    match_field_name(pk), "Choose whether to link it or to create a new one."
                )
            elif choice == CREATE and not (cleaned.get(reason_field_name(pk)) or "").strip():
                self.add_error(reason_field_name(pk), "Say why a new one must be created.")
        return cleaned

    def questions_for(self, pk: int) -> list:
        if pk not in self.lookalikes:
            return []
        return [self[match_field_name(pk)], self[reason_field_name(pk)]]

    def answers(self) -> dict[int, tuple[str, str]]:
        """(ERP id to link to, reason to create) for each record asked about."""
        found = {}
        for pk in self.lookalikes:
            choice = self.cleaned_data.get(match_field_name(pk)) or ""
            reason = self.cleaned_data.get(reason_field_name(pk)) or ""
            if choice.startswith(LINK):
                found[pk] = (choice.removeprefix(LINK), "")
            elif choice == CREATE:
                found[pk] = ("", reason)
        return found

    def links(self, pk: int) -> bool:
        return (self.cleaned_data.get(match_field_name(pk)) or "").startswith(LINK)


class PostingDateQuestions:
    """One "posts on" date per commitment, change order or invoice being accepted."""

    def add_posting_dates(self, defaults: dict) -> None:
        self.posting_defaults = defaults
        for pk, default in defaults.items():
            self.fields[posting_field_name(pk)] = forms.DateField(
                label="Posts on",
                initial=default,
                required=False,
                help_text="Left empty, the date shown.",
                widget=forms.DateInput(attrs={"type": "date"}),
                error_messages={"invalid": "Enter the posting date as a date."},
            )

    def posting_questions(self, pk: int) -> list:
        name = posting_field_name(pk)
        return [self[name]] if name in self.fields else []

    def posting_dates(self) -> dict:
        return {
            pk: self.cleaned_data.get(posting_field_name(pk)) or default
            for pk, default in self.posting_defaults.items()
        }


class AcceptForm(PostingDateQuestions, LookalikeQuestionsForm):
    """What accepting records of one type asks: the connected ERP's questions, once for all of
    them (`help` says how fresh imported choices are, by question name); link or create for each
    record that looks like a vendor or job the ERP has; the posting date of each dated one."""

    def __init__(
        self,
        *args,
        questions: AcceptQuestions,
        help_texts: dict[str, str],
        record_ids: list[int],
        lookalikes: dict[int, list],
        posting_defaults: dict,
        **kwargs,
    ):
        super().__init__(*args, lookalikes=lookalikes, kind=questions.link_noun, **kwargs)
        self.asked = questions.choices
        self.record_ids = record_ids
        for question in self.asked:
            self.fields[question.name] = forms.ChoiceField(
                label=question.label,
                required=False,
                choices=[("", question.empty_choice), *question.choices],
                help_text=help_texts.get(question.name, ""),
            )
        self.add_posting_dates(posting_defaults)

    def clean(self):
        cleaned = super().clean()
        # A record linked to an existing vendor or job is not exported: it needs no answers.
        if any(not self.links(pk) for pk in self.record_ids):
            for question in self.asked:
                if question.required and not cleaned.get(question.name):
                    self.add_error(question.name, question.missing or "Please choose one.")
        return cleaned

    def questions_for(self, pk: int) -> list:
        return [*super().questions_for(pk), *self.posting_questions(pk)]

    def choices(self) -> dict[str, str] | None:
        answers = {
            question.name: self.cleaned_data[question.name]
            for question in self.asked
            if self.cleaned_data.get(question.name)
        }
        return answers or None


class InvoiceAcceptForm(PostingDateQuestions, forms.Form):
    """One "accept anyway" box per invoice that may already be billed."""

    def __init__(
        self,
        *args,
        twins: dict[int, list[str]],
        past_balance: dict[int, list[str]] | None = None,
        posting_defaults: dict | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.add_posting_dates(posting_defaults or {})
        self.twins = twins
        self.past_balance = past_balance or {}
        for invoice_id in twins:
            self.fields[confirm_field_name(invoice_id)] = forms.BooleanField(
                required=False,
                label="I checked: this is not the same bill. Accept anyway.",
            )
        for invoice_id, sentences in self.past_balance.items():
            self.fields[past_balance_field_name(invoice_id)] = forms.BooleanField(
                required=False,
                label="I confirm billing past the balance: " + " ".join(sentences),
            )

    def questions_for(self, invoice_id: int) -> list:
        name = past_balance_field_name(invoice_id)
        past = [self[name]] if name in self.fields else []
        return [*self.posting_questions(invoice_id), *past]

    def past_balance_confirmed_ids(self) -> set[int]:
        return {
            int(name.removeprefix(PAST_BALANCE_PREFIX))
            for name, confirmed in self.cleaned_data.items()
            if name.startswith(PAST_BALANCE_PREFIX) and confirmed
        }

    def confirm_field(self, invoice_id: int):
        name = confirm_field_name(invoice_id)
        return self[name] if name in self.fields else None

    def confirmed_invoice_ids(self) -> set[int]:
        return {
            int(name.removeprefix(CONFIRM_PREFIX))
            for name, confirmed in self.cleaned_data.items()
            if name.startswith(CONFIRM_PREFIX) and confirmed
        }


class ConfirmForm(forms.Form):
    """Retry and unlink ask nothing more than the confirmation."""

    def choices(self) -> None:
        return None


CONFIRM_PREFIX = "confirm_duplicate_"
PAST_BALANCE_PREFIX = "confirm_past_balance_"


def posting_field_name(pk: int) -> str:
    return f"posting_date_{pk}"


def past_balance_field_name(invoice_id: int) -> str:
    return f"{PAST_BALANCE_PREFIX}{invoice_id}"


def match_field_name(pk: int) -> str:
    return f"match_{pk}"


def reason_field_name(pk: int) -> str:
    return f"create_reason_{pk}"


def confirm_field_name(invoice_id: int) -> str:
    return f"{CONFIRM_PREFIX}{invoice_id}"
