"""Any screen, any hand: the job-cost page is a picture first, then the figures, then what is
behind a cost code; every project-manager page fits a 390 px phone and the accountant's queues a
768 px tablet without sideways scrolling; the keyboard shows where it is."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from approvals.services.workflow.records import EXPORTABLE_MODELS
from tests.e2e.accessibility import demo_urls, open_page
from tests.e2e.pages import pm_open_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 768, "height": 1024}
SCROLLS_SIDEWAYS = "document.scrollingElement.scrollWidth > window.innerWidth"


def test_the_job_cost_page_shows_a_chart_then_the_figures_then_a_cost_code(
    demo, sign_in, screenshot
):
    pm = sign_in("pm")
    pm_open_project(pm, "P-1001")
    pm.get_by_role("link", name="Job costs").click()

    sections = pm.locator("main section").evaluate_all("sections => sections.map(s => s.id)")
    # The sync panel first (when it ran, Sync now), then the picture, then the figures.
    assert sections == ["sync", "chart", "figures"]
    over = pm.locator("#chart li.over")
    expect(over.first).to_contain_text(re.compile(r"Over committed by \$[\d,]+\.\d\d"))
    expect(pm.locator("#job-costs tr.over").first).to_contain_text("over by $")
    amount = pm.locator("#job-costs td.money").first
    assert amount.evaluate("cell => getComputedStyle(cell).textAlign") == "right"
    expect(amount).to_have_text(re.compile(r"^-?\$[\d,]+\.\d\d$"))
    screenshot(pm, "job-costs-chart")

    pm.locator("#chart").get_by_role("link", name="03-300 Cast-in-Place Concrete").click()
    expect(pm.locator("#detail-heading")).to_have_text("Cost code 03-300 Cast-in-Place Concrete")
    assert pm.url.endswith("#detail")


def test_project_manager_pages_fit_a_phone_and_the_queues_a_tablet(
    demo, sign_in, live_server, screenshot
):
    pm = sign_in("pm")
    pm.set_viewport_size(PHONE)
    pm_pages = [url for url in demo_urls() if not url.startswith(("/admin/", "/erp/"))]
    too_wide = []
    opened = 0
    for url in pm_pages:
        if not open_page(pm, live_server.url + url):
            continue
        opened += 1
        if pm.evaluate(SCROLLS_SIDEWAYS):
            too_wide.append(url)
    assert opened >= 15
    assert too_wide == []
    pm_open_project(pm, "P-1001")
    screenshot(pm, "project-manager-phone")

    # The keyboard shows where it is: the first Tab reaches the skip link, outlined.
    pm.goto(live_server.url + "/")
    pm.keyboard.press("Tab")
    skip = pm.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    assert skip.evaluate("link => getComputedStyle(link).outlineStyle") != "none"
    assert skip.evaluate("link => link.getBoundingClientRect().top") >= 0

    accountant = sign_in("accountant", at="/admin/")
    accountant.set_viewport_size(TABLET)
    for model in EXPORTABLE_MODELS:
        url = reverse(f"admin:approvals_{model._meta.model_name}_changelist")
        accountant.goto(live_server.url + url)
        expect(accountant.locator("#result_list")).to_be_visible()
        assert not accountant.evaluate(SCROLLS_SIDEWAYS), url
