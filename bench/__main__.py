"""`python -m bench [--only queue,export] [--write docs/performance.md]`

Each scenario runs in a fresh copy of a migrated PostgreSQL database of its own, created on
the server of DATABASE_URL (default postgres://postgres@127.0.0.1:5432/bench) and dropped
afterwards, with DEBUG off as in production.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
import warnings

from bench.registry import SCENARIOS

CHOICES = list(SCENARIOS)


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--only",
        default="",
        help=f"comma-separated scenarios to run (default all): {', '.join(CHOICES)}",
    )
    parser.add_argument("--write", metavar="PATH", help="also write the report (Markdown) here")
    arguments = parser.parse_args(argv)
    chosen = [name.strip() for name in arguments.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in CHOICES]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(CHOICES)}")
    arguments.scenarios = chosen or CHOICES
    return arguments


def _environment() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use")
    os.environ["DEBUG"] = "false"
    # Worker subprocesses notify approvers of failed exports; nothing leaves this machine.
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    from bench.database import DEFAULT_URL

    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)


def main(argv: list[str]) -> int:
    arguments = _arguments(argv)
    _environment()
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    from bench import database, report
    from bench.machine import describe
    from bench.registry import scenario
    from bench.table import Row, as_text

    setup_test_environment()
    # Static files are not collected for a benchmark; whitenoise says so once per page load.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    load_at_start = os.getloadavg()[0]
    url = os.environ["DATABASE_URL"]
    rows: list[Row] = []
    failed = False
    started = time.perf_counter()
    with database.template_database(url) as template:
        for name in arguments.scenarios:
            module = scenario(name)
            print(f"Running {name}: {module.TITLE} ...", file=sys.stderr, flush=True)
            scenario_started = time.perf_counter()
            try:
                with database.scenario_database(url, template, name):
                    rows += module.run(**module.FULL)
            except Exception as error:
                failed = True
                traceback.print_exc()
                rows.append(
                    Row(module.TITLE, "", "failed", note=f"{type(error).__name__}: {error}")
                )
            print(
                f"  {name} took {time.perf_counter() - scenario_started:.1f} s",
                file=sys.stderr,
                flush=True,
            )
    elapsed = time.perf_counter() - started
    print(as_text(rows))
    print(f"\nWhole run: {elapsed:.0f} s")
    if arguments.write:
        machine = describe(postgresql_version=database.server_version(url))
        machine["Load average (1 min) at start and end"] = (
            f"{load_at_start:.1f} and {os.getloadavg()[0]:.1f} "
            "(other work on the machine slows every figure)"
        )
        report.write(arguments.write, rows, machine=machine, elapsed_seconds=elapsed)
        print(f"Report written to {arguments.write}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
