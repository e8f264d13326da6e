"""Riding out a database outage in the processes that run for days (worker, scheduler).

A restart of PostgreSQL breaks every open connection; these processes close theirs, wait with
back-off until the database answers again and carry on where they were, instead of exiting
and leaving queued exports to wait for a person.
"""

from __future__ import annotations

import logging
import time

from django.db import DatabaseError, InterfaceError, OperationalError, connections

logger = logging.getLogger(__name__)

# What a lost or refused connection raises; other database errors are bugs and stay loud.
DATABASE_UNREACHABLE = (OperationalError, InterfaceError)
FIRST_WAIT_SECONDS = 0.5
LONGEST_WAIT_SECONDS = 5.0


def wait_for_database(error: Exception, *, process: str) -> float:
    """Block until every configured database answers again; return the seconds it took."""
    logger.warning(
        "%s: the database could not be reached (%s); waiting for it to come back.",
        process,
        " ".join(str(error).split()) or type(error).__name__,
    )
    started = time.monotonic()
    wait = FIRST_WAIT_SECONDS
    while not _databases_answer():
        time.sleep(wait)
        wait = min(wait * 2, LONGEST_WAIT_SECONDS)
    waited = time.monotonic() - started
    logger.warning("%s: the database is back after %.1f s; carrying on.", process, waited)
    return waited


def _databases_answer() -> bool:
    for connection in connections.all(initialized_only=True):
        _close_quietly(connection)
    try:
        for connection in connections.all():
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
    except DATABASE_UNREACHABLE:
        return False
    return True


def _close_quietly(connection) -> None:
    """A broken connection may fail to close; it is dropped either way."""
    try:
        connection.close()
    except DatabaseError:
        connection.connection = None
