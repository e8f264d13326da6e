"""Counting SQL statements without a ceiling (Django's query log keeps only the last 9,000)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


class StatementCount:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def counting_statements() -> Iterator[StatementCount]:
    counter = StatementCount()
    with connection.execute_wrapper(counter):
        yield counter
