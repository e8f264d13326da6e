"""The soak: for a bounded time, records are accepted continuously while real worker processes
export them and QuickBooks answers a share of requests with random faults. At the end nothing is
lost, nothing is doubled, and the money matches to the cent.

SOAK_SECONDS sets its length (20 s in the normal suite, 180 s under `make reliability`),
SOAK_SEED repeats a draw of faults, SOAK_WORKERS sets the number of worker processes.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection

from approvals.models import Commitment, Company, SubcontractorInvoice
from approvals.services import record_retry
from approvals.states import SyncStatus
from integrations.quickbooks_online import mapping
from money import plain_money
from tests.reliability import scene, soak
from tests.reliability.results import RESULTS, SoakFigures
from tests.reliability.sandbox_faults import add_fault, api_requests, faults_fired
from tests.reliability.test_fault_matrix import assert_said_like_an_accountant
from tests.worker_processes import WorkerPool, worker_environment

MODELS = {"company": Company, "commitment": Commitment, "invoice": SubcontractorInvoice}
UNSETTLED = (SyncStatus.READY_TO_EXPORT, SyncStatus.EXPORTING)
TOKEN_EXPIRY_EVERY_SECONDS = 10
WORKER_SETTINGS = {
    "QBO_REQUESTS_PER_MINUTE": "100000",
    "QBO_MAX_CONCURRENT": "30",
    "QBO_RATE_WINDOW_SECONDS": "0.3",
    "QBO_TIMEOUT_SECONDS": "1.0",
    "QBO_CONNECT_TIMEOUT_SECONDS": "1.0",
    "EXPORT_MAX_TRIES": "4",
    "EXPORT_RETRY_BASE_SECONDS": "0.1",
    "EXPORT_RETRY_MAX_SECONDS": "0.5",
}


@pytest.fixture
def workers(qbo_sandbox, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("worker processes need the test database on PostgreSQL")
    pool = WorkerPool(worker_environment(qbo_sandbox, WORKER_SETTINGS), tmp_path, name="soak")
    yield pool
    # Before pytest-django empties the tables: a worker holding a connection would block it.
    pool.stop()


def wait_until_settled(workers: WorkerPool, accepted: dict[str, list], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while any(
        MODELS[kind].objects.filter(pk__in=pks, sync_status__in=UNSETTLED).exists()
        for kind, pks in accepted.items()
    ):
        assert workers.alive(), workers.logs()
        assert time.monotonic() < deadline, "exports still unsettled\n" + workers.logs()
        time.sleep(0.2)


def documents_by_record(books) -> dict[str, dict[str, list[dict]]]:
    """QuickBooks' documents of each kind, keyed by the name or number we give them."""
    found: dict[str, dict[str, list[dict]]] = {}
    for kind, entity, key in (
        ("company", "Vendor", "DisplayName"),
        ("commitment", "PurchaseOrder", "DocNumber"),
        ("invoice", "Bill", "DocNumber"),
    ):
        found[kind] = {}
        for document in books.entities(entity):
            found[kind].setdefault(document.get(key), []).append(document)
    return found


def record_key(kind: str, record) -> str:
    return record.name if kind == "company" else record.number


@pytest.mark.django_db(transaction=True)
def test_soak_with_random_faults(
    qbo_sandbox, qbo_sandbox_server, fast_exports, workers, machine_noted
):
    seconds = float(os.environ.get("SOAK_SECONDS", "20"))
    seed = int(os.environ.get("SOAK_SEED") or random.SystemRandom().randrange(1, 10**6))
    worker_count = int(os.environ.get("SOAK_WORKERS", "2"))
    print(f"\nSoak: {seconds:.0f} s, seed {seed}, {worker_count} workers")
    rng = random.Random(seed)
    qbo_sandbox.set_limits(requests_per_window=100_000, concurrent=30)
    pm, approver = scene.people()
    books = scene.open_books(qbo_sandbox, pm=pm, approver=approver, tag=900)
    qbo_sandbox.clear_request_log()
    for rule in soak.random_faults(random.Random(rng.random())):
        add_fault(qbo_sandbox_server, rule)
    workers.start(worker_count)
    office = soak.Office(books, rng)

    started = time.monotonic()
    next_expiry = started + TOKEN_EXPIRY_EVERY_SECONDS
    token_expiries = 0
    while time.monotonic() - started < seconds:
        office.next_record()
        if time.monotonic() > next_expiry:
            qbo_sandbox.expire_access_tokens()
            token_expiries += 1
            next_expiry += TOKEN_EXPIRY_EVERY_SECONDS
    wait_until_settled(workers, office.accepted, timeout=120)
    duration = time.monotonic() - started
    qbo_sandbox.clear_faults()
    log = qbo_sandbox.request_log()

    failed_by_reason: Counter = Counter()
    synced = 0
    for kind, pks in office.accepted.items():
        for record in MODELS[kind].objects.filter(pk__in=pks):
            if record.sync_status == SyncStatus.SYNCED:
                synced += 1
                continue
            assert record.sync_status == SyncStatus.EXPORT_FAILED, record
            assert_said_like_an_accountant(record.last_export_error)
            failed_by_reason[record.last_export_error] += 1
    accepted = {kind: len(pks) for kind, pks in office.accepted.items()}
    assert sum(accepted.values()) >= 10, office.held_back

    # The accountant retries every failed export once QuickBooks behaves: each one syncs,
    # linking the document an earlier try may have left, never making a second one.
    approver = scene.fresh(books.approver)
    for kind, pks in office.accepted.items():
        for record in MODELS[kind].objects.filter(pk__in=pks, sync_status=SyncStatus.EXPORT_FAILED):
            record_retry(record=record, actor=approver)
    wait_until_settled(workers, office.accepted, timeout=60)

    documents = documents_by_record(books)
    our_total = their_total = Decimal("0.00")
    for kind, pks in office.accepted.items():
        for record in MODELS[kind].objects.filter(pk__in=pks):
            assert record.sync_status == SyncStatus.SYNCED, (record, record.last_export_error)
            (document,) = documents[kind].get(record_key(kind, record), [])
            assert document["Id"] == record.erp_id
            if kind == "invoice":
                ours = record.totals().net
                theirs = mapping.as_decimal(document["TotalAmt"])
                assert theirs == ours, record
                our_total += ours
                their_total += theirs
            if kind == "commitment":
                lines = record.lines.all()
                expected = sum((line.amount for line in lines), Decimal("0.00"))
                assert mapping.as_decimal(document["TotalAmt"]) == expected, record
    # Nothing in QuickBooks that is not one of our records (or the scene's own).
    assert sum(len(docs) for docs in documents["company"].values()) == accepted["company"] + 1
    assert sum(len(docs) for docs in documents["commitment"].values()) == (
        accepted["commitment"] + 1
    )
    assert sum(len(docs) for docs in documents["invoice"].values()) == accepted["invoice"]
    assert our_total == their_total

    RESULTS.soak = SoakFigures(
        seed=seed,
        seconds=duration,
        accepted=accepted,
        synced=synced,
        failed_by_reason=dict(failed_by_reason),
        faults_by_kind=dict(faults_fired(log)),
        requests=len(api_requests(log)),
        documents=sum(accepted.values()),
        bills_total=plain_money(our_total),
        fault_share=sum(soak.FAULT_SHARES.values()),
        workers=worker_count,
        token_expiries=token_expiries,
        retried_by_accountant=sum(failed_by_reason.values()),
    )
    print(RESULTS.soak.summary())
