"""The import half of the contract, for every ERP: an import run twice stores nothing twice, and
one the ERP stopped halfway resumes from where it stopped, not from the start."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from approvals.models import ERPVendor
from tests.integrations.contract.erp_under_test import IMPORT, applies


def vendors_import() -> None:
    call_command("erp_sync", "vendors", stdout=io.StringIO())


def vendors_stored(books) -> list[tuple]:
    return list(
        ERPVendor.objects.filter(erp_connection=books.connection)
        .order_by("erp_id")
        .values_list("erp_id", "display_name", "is_active")
    )


def test_an_import_resumes_where_it_stopped_and_twice_stores_nothing_twice(erp):
    applies(erp, IMPORT)
    books = erp.open_books()
    erp.seed_vendors(pages=3)
    erp.stop_reads_after(2)

    with pytest.raises(CommandError, match="Run it again to resume"):
        vendors_import()
    stopped_with = len(vendors_stored(books))
    assert stopped_with > 0

    erp.resume_reads()
    vendors_import()
    assert erp.reads() == 1  # the page left, not the two already stored
    stored = vendors_stored(books)
    assert len(stored) > stopped_with
    assert len({erp_id for erp_id, *_ in stored}) == len(stored)

    vendors_import()
    assert vendors_stored(books) == stored
