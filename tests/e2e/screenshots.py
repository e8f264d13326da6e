"""Screenshots of the running app for the README, taken from the browser tests' own pages."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Locator, Page

# Tables the admin lets scroll sideways; a picture must show their last columns too.
SIDEWAYS_SCROLLERS = "#changelist .results"


def save_screenshot(target: Page | Locator, path: Path) -> None:
    """A page is shot whole, as wide as its tables need; a locator as the element alone."""
    if isinstance(target, Locator):
        target.screenshot(path=path, animations="disabled")
        return
    _collapse_admin_navigation(target)
    viewport = target.viewport_size
    hidden_width = target.evaluate(
        """selector => Math.max(0, ...Array.from(
            document.querySelectorAll(selector), element => element.scrollWidth - element.clientWidth
        ))""",
        SIDEWAYS_SCROLLERS,
    )
    # A short viewport: the full-page picture ends where the content does.
    target.set_viewport_size({"width": viewport["width"] + hidden_width, "height": 300})
    target.screenshot(path=path, full_page=True, animations="disabled")
    target.set_viewport_size(viewport)


def _collapse_admin_navigation(page: Page) -> None:
    sidebar = page.locator("#nav-sidebar")
    if sidebar.count() and sidebar.is_visible():
        page.locator("#toggle-nav-sidebar").click()
