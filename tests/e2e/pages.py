"""How the two kinds of users find their way around the app, in Playwright terms."""

from __future__ import annotations

import re
import time
from urllib.parse import urljoin

from playwright.sync_api import Locator, Page


def pm_open_project(page: Page, number: str) -> None:
    page.locator("header").get_by_role("link", name="My projects").click()
    page.get_by_role("link", name=number, exact=True).click()


def pm_open_record(page: Page, *, project: str, section: str, number: str) -> Locator:
    """Opens a record from its project's page; returns the record's ERP panel."""
    pm_open_project(page, project)
    page.locator(f"#{section}").get_by_role("link", name=number, exact=True).click()
    return page.locator("#erp")


def open_admin_list(page: Page, title: str, *, queue: str) -> None:
    page.goto(urljoin(page.url, "/admin/"))
    page.locator("#content-main").get_by_role("link", name=title, exact=True).click()
    tabs = page.get_by_role("navigation", name="Queues")
    tabs.get_by_role("link", name=re.compile(rf"^{re.escape(queue)}")).click()


def admin_row(page: Page, number: str) -> Locator:
    return page.locator("#result_list tbody tr").filter(
        has=page.get_by_role("link", name=number, exact=True)
    )


def run_admin_action(page: Page, records: list[str], action: str) -> None:
    for record in records:
        page.get_by_label(f"Select this object for an action - {record}").check()
    page.get_by_label("Action:").select_option(label=action)
    page.get_by_role("button", name="Run").click()


def reload_until_text(page: Page, locator: Locator, text: str, *, timeout: float = 30) -> None:
    """The export runs in another process: reload as an accountant would, until it shows."""
    deadline = time.monotonic() + timeout
    while (shown := locator.inner_text()) != text:
        if time.monotonic() > deadline:
            raise AssertionError(f"Still {shown!r} after {timeout} s; expected {text!r}.")
        page.wait_for_timeout(200)
        page.reload()


def pm_invoice_row(page: Page, number: str) -> Locator:
    return page.locator("#invoices tbody tr").filter(
        has=page.get_by_role("link", name=number, exact=True)
    )
