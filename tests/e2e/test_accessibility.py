"""Every page of the URL configuration, filled with the demo's records, passes axe-core's WCAG 2.1
A and AA rules without a serious or critical violation, as each role that can open it: signed
out, the project manager, the accountant and the administrator."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.e2e.accessibility import axe_script, demo_urls, open_page, violations_on
from tests.e2e.conftest import DEMO_PASSWORD, VIEWPORT, watch_content_security_policy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = ("signed out", "pm", "accountant", "admin")


def open_as(browser, live_server, role: str, csp_violations: list[str], script: str):
    """One page for the whole walk of a role; axe is loaded into every page it opens."""
    context = browser.new_context(viewport=VIEWPORT)
    watch_content_security_policy(context, csp_violations)
    context.add_init_script(script)
    page = context.new_page()
    if role != "signed out":
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(role)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/")
    return context, page


def test_every_page_has_no_serious_accessibility_violation_for_any_role(
    demo, browser, live_server, csp_violations
):
    script = axe_script()
    urls = demo_urls()
    violations = []
    checked: Counter = Counter()
    for role in ROLES:
        context, page = open_as(browser, live_server, role, csp_violations, script)
        for url in urls:
            if open_page(page, live_server.url + url):
                violations += violations_on(page, role=role, url=url)
                checked[role] += 1
        context.close()

    print(f"axe checked {sum(checked.values())} pages of {len(urls)} URLs: {dict(checked)}")
    assert not violations, "\n".join(map(str, violations))
    # Each role reached its pages: the walk did not end at a login page.
    assert checked["signed out"] >= 2
    assert checked["pm"] >= 20
    assert checked["accountant"] >= 40
    assert checked["admin"] > checked["accountant"]
    assert any("/accept/?ids=" in url for url in urls)


def test_the_check_reports_an_unlabelled_field(browser, live_server):
    """The walk above finds nothing to report; this shows the check itself would."""
    context = browser.new_context()
    context.add_init_script(axe_script())
    page = context.new_page()
    page.route(
        f"{live_server.url}/unlabelled",
        lambda route: route.fulfill(
            content_type="text/html",
            body='<!doctype html><html lang="en"><title>t</title><main><input></main></html>',
        ),
    )

    page.goto(f"{live_server.url}/unlabelled")
    found = violations_on(page, role="signed out", url="/unlabelled")
    context.close()

    assert [(violation.rule, violation.impact) for violation in found] == [("label", "critical")]
