"""Make the README's screenshots: the browser tests of tests/e2e, run with E2E_SCREENSHOTS_DIR set,
so every picture is of the running app in the middle of the tested flow.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/erp .venv/bin/python docs/make_screenshots.py
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "docs" / "screenshots"


def main() -> int:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print(
            "Set DATABASE_URL to a PostgreSQL server: the export worker runs as a process of its "
            "own and cannot open the in-memory SQLite test database.",
            file=sys.stderr,
        )
        return 2
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    environment = {
        "SECRET_KEY": "screenshots-only-secret-key",
        **os.environ,
        "E2E_SCREENSHOTS_DIR": str(SCREENSHOTS),
        "DJANGO_ALLOW_ASYNC_UNSAFE": "true",
    }
    command = [sys.executable, "-m", "pytest", "tests/e2e", "-q", "-p", "no:cacheprovider"]
    return subprocess.call(command, cwd=ROOT, env=environment)


if __name__ == "__main__":
    sys.exit(main())
