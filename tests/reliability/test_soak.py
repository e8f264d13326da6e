"""The soak, for each ERP: for a bounded time, records are accepted continuously while real
worker processes export them and the ERP's sandbox answers a share of requests with random
faults. At the end nothing is lost, nothing is doubled, and the money matches to the cent.

SOAK_SECONDS sets each ERP's soak length (QuickBooks Online's runs 20 s in the normal suite;
both run under `make reliability`, 120 s each), SOAK_SEED repeats a draw of faults,
SOAK_WORKERS sets the number of worker processes.
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
from money import plain_money
from tests.reliability import scene, soak, soak_xero
from tests.reliability.results import RESULTS, SoakFigures
from tests.reliability.test_fault_matrix import assert_said_like_an_accountant
from tests.worker_processes import WorkerPool

MODELS = {"company": Company, "commitment": Commitment, "invoice": SubcontractorInvoice}
UNSETTLED = (SyncStatus.READY_TO_EXPORT, SyncStatus.EXPORTING)
TOKEN_EXPIRY_EVERY_SECONDS = 10
SOAKS = (
    soak.QUICKBOOKS_ONLINE,
    # Xero's runs when a length is asked for (`make reliability`), not in every test run.
    pytest.param(
        soak_xero.XERO,
        marks=pytest.mark.skipif(
            "SOAK_SECONDS" not in os.environ, reason="Xero's soak runs under make reliability"
        ),
    ),
)
SCENE_TAG = 900


def wait_until_settled(workers: WorkerPool, accepted: dict[str, list], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while any(
        MODELS[kind].objects.filter(pk__in=pks, sync_status__in=UNSETTLED).exists()
        for kind, pks in accepted.items()
    ):
        assert workers.alive(), workers.logs()
        assert time.monotonic() < deadline, "exports still unsettled\n" + workers.logs()
        time.sleep(0.2)


def record_key(kind: str, record) -> str:
    return record.name if kind == "company" else record.number


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("erp", SOAKS, ids=["QuickBooks_Online", "Xero"])
def test_soak_with_random_faults(erp, request, tmp_path, machine_noted):
    if connection.vendor != "postgresql":
        pytest.skip("worker processes need the test database on PostgreSQL")
    sandbox = request.getfixturevalue(erp.sandbox_fixture)
    server = request.getfixturevalue(erp.server_fixture)
    request.getfixturevalue(erp.settings_fixture)
    seconds = float(os.environ.get("SOAK_SECONDS", "20"))
    seed = int(os.environ.get("SOAK_SEED") or random.SystemRandom().randrange(1, 10**6))
    worker_count = int(os.environ.get("SOAK_WORKERS", "2"))
    print(f"\nSoak of {erp.name}: {seconds:.0f} s, seed {seed}, {worker_count} workers")
    rng = random.Random(seed)
    erp.without_limits(sandbox)
    pm, approver = scene.people()
    books = erp.open_books(sandbox, pm=pm, approver=approver, tag=SCENE_TAG)
    sandbox.clear_request_log()
    erp.add_random_faults(server, random.Random(rng.random()))
    workers = WorkerPool(erp.worker_environment(sandbox), tmp_path, name="soak")
    try:
        workers.start(worker_count)
        figures = soak_and_check(erp, sandbox, books, rng, workers, seconds)
    finally:
        # Before pytest-django empties the tables: a worker holding a connection would block it.
        workers.stop()
    RESULTS.soaks[erp.name] = SoakFigures(
        seed=seed, workers=worker_count, fault_share=sum(erp.fault_shares.values()), **figures
    )
    print(RESULTS.soaks[erp.name].summary())


def soak_and_check(erp: soak.ErpSoak, sandbox, books, rng, workers, seconds: float) -> dict:
    office = soak.Office(books, rng)
    started = time.monotonic()
    next_expiry = started + TOKEN_EXPIRY_EVERY_SECONDS
    token_expiries = 0
    while time.monotonic() - started < seconds:
        office.next_record()
        if time.monotonic() > next_expiry:
            sandbox.expire_access_tokens()
            token_expiries += 1
            next_expiry += TOKEN_EXPIRY_EVERY_SECONDS
    wait_until_settled(workers, office.accepted, timeout=120)
    duration = time.monotonic() - started
    sandbox.clear_faults()
    log = sandbox.request_log()

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

    # The accountant retries every failed export once the ERP behaves: each one syncs,
    # linking the document an earlier try may have left, never making a second one.
    approver = scene.fresh(books.approver)
    for kind, pks in office.accepted.items():
        for record in MODELS[kind].objects.filter(pk__in=pks, sync_status=SyncStatus.EXPORT_FAILED):
            record_retry(record=record, actor=approver)
    wait_until_settled(workers, office.accepted, timeout=60)

    documents = erp.documents_by_record(books)
    our_total = their_total = Decimal("0.00")
    for kind, pks in office.accepted.items():
        for record in MODELS[kind].objects.filter(pk__in=pks):
            assert record.sync_status == SyncStatus.SYNCED, (record, record.last_export_error)
            (document,) = documents[kind].get(record_key(kind, record), [])
            assert erp.document_id(kind, document) == record.erp_id
            if kind == "invoice":
                ours = record.totals().net
                theirs = erp.document_total(document)
                assert theirs == ours, record
                our_total += ours
                their_total += theirs
            if kind == "commitment":
                expected = sum((line.amount for line in record.lines.all()), Decimal("0.00"))
                assert erp.document_total(document) == expected, record
    # Nothing in the ERP that is not one of our records (or the scene's own).
    for kind, count in accepted.items():
        held = sum(len(docs) for docs in documents[kind].values())
        assert held == count + soak.SCENE_DOCUMENTS[kind], kind
    assert our_total == their_total

    return {
        "seconds": duration,
        "accepted": accepted,
        "synced": synced,
        "failed_by_reason": dict(failed_by_reason),
        "faults_by_kind": dict(erp.faults_fired(log)),
        "requests": len(erp.api_requests(log)),
        "documents": sum(accepted.values()),
        "bills_total": plain_money(our_total),
        "token_expiries": token_expiries,
        "retried_by_accountant": sum(failed_by_reason.values()),
    }
