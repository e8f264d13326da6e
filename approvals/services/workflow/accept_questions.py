"""What accepting a record asks, as the connected ERP declares it, and the checks of the answers.

The connector names the questions per record type (a customer to put a job under, a vendor
type...) with their choices from imported data, and whether a record that looks like a vendor
or job the ERP already has must be linked to it or created for a reason. The workflow knows none
of them by name: it asks what is declared, keeps each answer in the field the question names,
and refuses an accept that leaves a required one unanswered.
"""

from __future__ import annotations

from approvals.services import erp
from approvals.services.workflow.errors import PreconditionsNotMet
from approvals.services.workflow.records import noun
from integrations.base import Connector
from integrations.questions import NOTHING_ASKED, AcceptQuestions


def accept_questions(model) -> AcceptQuestions:
    """What the connected ERP asks when a record of `model` is accepted."""
    return questions_of(erp.connector_or_none(erp.active_connection_or_none()), model)


def questions_of(connector: Connector | None, model) -> AcceptQuestions:
    """What `connector` asks about `model` (nothing while no ERP can be used: such a record's
    export says why)."""
    return NOTHING_ASKED if connector is None else connector.accept_questions(model)


def answered_fields(record, choices: dict | None, questions: AcceptQuestions) -> dict[str, str]:
    """The record fields the answers in `choices` (question name → value) set; refused for a
    question not asked about this record type, or an answer longer than its field."""
    asked = {question.name: question for question in questions.choices}
    fields = {}
    problems = []
    for name, value in (choices or {}).items():
        question = asked.get(name)
        if question is None:
            problems.append(f"'{name}' is not something to choose when accepting a {noun(record)}.")
            continue
        text = clean_text(value)
        limit = type(record)._meta.get_field(question.field).max_length
        if limit is not None and len(text) > limit:
            problems.append(f"The {question.label.lower()} is longer than {limit} characters.")
        elif text:
            fields[question.field] = text
    if problems:
        raise PreconditionsNotMet(problems)
    return fields


def unanswered(record, questions: AcceptQuestions) -> list[str]:
    """Sentences for the required questions `record` (answers applied) leaves unanswered."""
    return [
        question.missing or f"Choose the {question.label.lower()}."
        for question in questions.choices
        if question.required and not getattr(record, question.field)
    ]


def clean_text(value) -> str:
    # PostgreSQL cannot store NUL characters; they never carry meaning in a typed answer.
    return str(value or "").replace("\x00", "").strip()
