"""Browser fixtures: Debian's Chromium, a live server over plain HTTP, the demo company seeded
against the QuickBooks Online sandbox, and a real `manage.py db_worker` process exporting.

Playwright's sync API runs an event loop in this thread, so Django would refuse ORM calls from
the test without DJANGO_ALLOW_ASYNC_UNSAFE.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.worker_processes import WorkerPool, worker_environment

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "demo-password"
VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def http_settings(settings):
    """The production settings of the suite, served over plain HTTP without collectstatic."""
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    return settings


@pytest.fixture
def live_server(http_settings):
    """pytest-django's live server, started per test so its middleware sees `http_settings`.

    The security middleware reads SECURE_SSL_REDIRECT once, when the server loads it; the
    session-wide server of pytest-django would keep the HTTPS redirect of production settings.
    """
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("localhost")
    yield server
    server.stop()


@pytest.fixture
def demo(transactional_db, qbo_sandbox, qbo_settings):
    """The demo general contractor, its records in every status, some exported to the sandbox."""
    from approvals.demo import seed_demo

    seed_demo(sandbox=qbo_sandbox, password=DEMO_PASSWORD)


@pytest.fixture
def export_worker(demo, qbo_sandbox, tmp_path):
    """A `manage.py db_worker` process on the test database, as production runs it.

    Started after the seed, whose own exports run in this process; stopped before the test
    database is emptied.
    """
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "The export worker is a process of its own; it cannot open an in-memory SQLite "
            "test database. Run with DATABASE_URL=postgres://..."
        )
    workers = WorkerPool(worker_environment(qbo_sandbox), tmp_path, name="e2e")
    [worker] = workers.start()
    yield worker
    workers.stop()


@pytest.fixture
def screenshot():
    """screenshot(page_or_locator, name): saved as <name>.png into $E2E_SCREENSHOTS_DIR when
    set (docs/make_screenshots.py sets it), so the README's pictures are of this very flow."""
    from tests.e2e.screenshots import save_screenshot

    directory = os.environ.get("E2E_SCREENSHOTS_DIR")

    def save(target, name: str) -> None:
        if directory:
            save_screenshot(target, Path(directory) / f"{name}.png")

    return save


# Chromium reports each violation as a securitypolicyviolation event in the page; Playwright's
# init scripts run outside the page's policy, so this listener itself is never blocked.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.documentURI}`);
});
"""


def watch_content_security_policy(context, violations: list[str]) -> None:
    """Record in `violations` every Content-Security-Policy violation of the context's pages."""
    context.add_init_script(REPORT_VIOLATIONS)

    def on_console(message) -> None:
        text = message.text
        if "CSP violation" in text or "Content Security Policy" in text:
            violations.append(text)

    context.on("console", on_console)


@pytest.fixture(autouse=True)
def csp_violations():
    """Every browser test fails on any Content-Security-Policy violation of a page it visited."""
    violations: list[str] = []
    yield violations
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def context(context, csp_violations):
    watch_content_security_policy(context, csp_violations)
    return context


@pytest.fixture
def sign_in(browser, live_server, csp_violations):
    """sign_in("pm", at="/") -> a page of its own browser session: that demo user, logged in
    on the login page `at` redirects to, back at `at`."""
    contexts = []

    def open_page_as(username: str, *, at: str = "/"):
        context = browser.new_context(viewport=VIEWPORT)
        watch_content_security_policy(context, csp_violations)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}{at}")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}{at}")
        return page

    yield open_page_as
    for context in contexts:
        context.close()
