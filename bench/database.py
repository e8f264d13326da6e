"""The bench's own PostgreSQL databases: one migrated template, one fresh copy per scenario.

A scenario gets an empty, migrated database of its own, so no scenario sees another's records
or queued export tasks; a copy of the template takes a fraction of a second where a migration
takes many.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench"


def server_url(database_url: str, name: str) -> str:
    """The same server and credentials as `database_url`, with another database name."""
    parts = urlsplit(database_url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise SystemExit(
            f"The benchmarks need PostgreSQL; DATABASE_URL is {parts.scheme or 'not'} a "
            "PostgreSQL address. Set DATABASE_URL=postgres://user@host:port/bench."
        )
    return urlunsplit(parts._replace(path=f"/{name}"))


def bench_prefix(database_url: str) -> str:
    """bench_<name>_<pid>: never clashes with another run or with the database in the URL."""
    name = urlsplit(database_url).path.lstrip("/") or "bench"
    return f"bench_{name}_{os.getpid()}"


def _admin_connection(database_url: str) -> psycopg.Connection:
    return psycopg.connect(server_url(database_url, "postgres"), autocommit=True)


def server_version(database_url: str) -> str:
    with _admin_connection(database_url) as connection:
        return connection.execute("SHOW server_version").fetchone()[0]


def create_database(database_url: str, name: str, *, template: str | None = None) -> None:
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with _admin_connection(database_url) as connection:
        connection.execute(statement)


def drop_database(database_url: str, name: str) -> None:
    with _admin_connection(database_url) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def use_database(name: str) -> None:
    """Point Django's default connection (and the subprocesses started later) at `name`."""
    from django.db import connections

    connection = connections["default"]
    connection.close()
    connection.settings_dict["NAME"] = name
    os.environ["DATABASE_URL"] = server_url(os.environ["DATABASE_URL"], name)


def current_database_url() -> str:
    """The address of the database Django uses now, for worker and sandbox subprocesses."""
    from django.db import connection

    settings = connection.settings_dict
    user = settings.get("USER") or ""
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    credentials = f"{user}{password}@" if user else ""
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgres://{credentials}{settings['HOST'] or '127.0.0.1'}{port}/{settings['NAME']}"


@contextmanager
def template_database(database_url: str) -> Iterator[str]:
    """A migrated, empty template database; dropped with every copy made of it on exit."""
    from django.core.management import call_command

    template = f"{bench_prefix(database_url)}_template"
    drop_database(database_url, template)
    create_database(database_url, template)
    try:
        use_database(template)
        call_command("migrate", verbosity=0, interactive=False)
        from django.db import connections

        connections["default"].close()
        yield template
    finally:
        from django.db import connections

        connections["default"].close()
        drop_database(database_url, template)


@contextmanager
def scenario_database(database_url: str, template: str, scenario: str) -> Iterator[str]:
    """A fresh copy of the template for one scenario, dropped afterwards."""
    from django.db import connections

    name = f"{template.removesuffix('_template')}_{scenario}"
    drop_database(database_url, name)
    create_database(database_url, name, template=template)
    try:
        use_database(name)
        yield name
    finally:
        connections["default"].close()
        drop_database(database_url, name)
