"""The export half of the contract, for every ERP: what an accountant can count on, whatever
the ERP does wrong. Each case plays the workflow's public services and the export worker; the
adapter makes its ERP misbehave and reads back what the ERP holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django_tasks_db.models import DBTaskResult

from approvals.services import erp as connected
from approvals.services import exports_recover_stuck, record_accept, record_send
from approvals.states import SyncStatus
from tests.approvals.admin.helpers import run_queued_exports
from tests.integrations.contract.erp_under_test import (
    EXPORTING_TWICE,
    HAND_OFF,
    INACTIVE_REFERENCE,
    LOST_ANSWER,
    STALE_VERSION,
    TAKEN_NAME,
    Books,
    applies,
)
from tests.reliability import scene


def accepted(books: Books, record):
    record_send(record=record, actor=books.pm)
    record_accept(record=record, actor=books.approver)
    return record


def exported(erp, *, worker: list[str] | None = None) -> list[str]:
    """The worker runs every queued export, then the ERP's own agent answers what it was handed."""
    return [*(run_queued_exports() if worker is None else worker), *erp.agent_answers()]


def fresh(record):
    record.refresh_from_db()
    return record


def worker_dies_once_the_erp_has_it(record) -> None:
    """A worker claims the export and sends it, then dies before writing down the answer."""
    task = DBTaskResult.objects.ready().filter(queue_name="exports").get()
    task.claim("a worker about to die")
    record = fresh(record)
    connector = connected.connector_for_export(connected.active_connection_or_none())
    connector.export(record, idempotency_key=record.export_request_key)


@pytest.mark.parametrize("make", [scene.new_company, "commitment"], ids=["vendor", "commitment"])
def test_exporting_twice_makes_one_document(erp, make):
    applies(erp, EXPORTING_TWICE)
    books = erp.open_books()
    if make == "commitment":
        record = scene.new_commitment(
            books.project, books.vendor, books.cost_codes, number="SC-2001-007"
        )
    else:
        record = make("Hillcrest Glazing")
    accepted(books, record)
    worker_dies_once_the_erp_has_it(record)
    if HAND_OFF not in erp.does_not_apply:
        # An ERP whose own agent collects the request has it once the agent carried it out;
        # the agent's answer is lost too, so nobody here knows it did.
        erp.lose_next_answer(record)
        erp.agent_answers()

    assert exports_recover_stuck(older_than=timedelta(0)) == 1
    exported(erp)

    record = fresh(record)
    assert record.sync_status == SyncStatus.SYNCED
    assert erp.documents(record) == [record.erp_id]


def test_a_lost_answer_ends_in_a_link_not_a_duplicate(erp):
    applies(erp, LOST_ANSWER)
    books = erp.open_books()
    invoice = accepted(books, scene.new_invoice(books, number="INV-2001"))
    erp.lose_next_answer(invoice)

    outcomes = exported(erp)
    outcomes += exported(erp)  # the ERP's agent, if any, comes back once more

    invoice = fresh(invoice)
    assert invoice.sync_status == SyncStatus.SYNCED
    assert outcomes[-1] == "synced" and "synced" not in outcomes[:-1], outcomes
    assert erp.documents(invoice) == [invoice.erp_id]


def test_a_stale_version_is_read_again_and_the_change_applied(erp):
    applies(erp, STALE_VERSION)
    books = erp.open_books()
    change_order = accepted(books, scene.new_change_order(books))
    erp.save_while_we_write(change_order)

    exported(erp)

    change_order = fresh(change_order)
    assert change_order.sync_status == SyncStatus.SYNCED
    assert len(erp.documents(change_order)) == change_order.lines.count()
    assert erp.their_save_kept(change_order)


def test_an_inactive_reference_is_named_in_the_message(erp):
    applies(erp, INACTIVE_REFERENCE)
    books = erp.open_books()
    erp.deactivate(books.vendor)
    invoice = accepted(books, scene.new_invoice(books, number="INV-2002"))

    exported(erp)

    invoice = fresh(invoice)
    assert invoice.sync_status == SyncStatus.EXPORT_FAILED
    assert "'Acme Drywall'" in invoice.last_export_error
    assert "inactive" in invoice.last_export_error
    assert erp.documents(invoice) == []


def test_a_missing_reference_is_named_in_the_message(erp):
    applies(erp, INACTIVE_REFERENCE)
    books = erp.open_books()
    painting = books.cost_codes["Painting"]
    # Linked here to something the ERP does not hold (deleted there, or a typo when linking).
    type(painting).objects.filter(pk=painting.pk).update(erp_id="424242")
    commitment = accepted(
        books,
        scene.new_commitment(books.project, books.vendor, books.cost_codes, number="SC-2003"),
    )

    exported(erp)

    commitment = fresh(commitment)
    assert commitment.sync_status == SyncStatus.EXPORT_FAILED
    assert "Painting" in commitment.last_export_error
    assert erp.documents(commitment) == []


def test_a_taken_name_clearly_ours_is_linked(erp):
    applies(erp, TAKEN_NAME)
    books = erp.open_books()
    company = scene.new_company("Hillcrest Glazing")
    erp.key_in_by_hand(company, same_business=True)
    accepted(books, company)

    exported(erp)

    company = fresh(company)
    assert company.sync_status == SyncStatus.SYNCED
    assert erp.documents(company) == [company.erp_id]


def test_a_taken_name_of_another_business_is_refused_with_the_reason(erp):
    applies(erp, TAKEN_NAME)
    books = erp.open_books()
    company = scene.new_company("Hillcrest Glazing")
    erp.key_in_by_hand(company, same_business=False)
    accepted(books, company)

    exported(erp)

    company = fresh(company)
    assert company.sync_status == SyncStatus.EXPORT_FAILED
    assert "'Hillcrest Glazing'" in company.last_export_error
    assert company.erp_id == ""
    assert len(erp.documents(company)) == 1  # theirs, untouched
