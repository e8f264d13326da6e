"""The project manager sees why a record cannot be sent, next to its disabled Send button, and
reaches the button and its reasons with the keyboard."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_draft_subcontract_of_an_unlinked_vendor_cannot_be_sent(demo, sign_in, live_server):
    pm = sign_in("pm")
    pm.get_by_role("link", name="P-1001").click()
    pm.locator("#commitments").get_by_role("link", name="SC-005").click()

    panel = pm.locator("#erp")
    send = panel.get_by_role("button", name="Send to ERP")
    expect(send).to_be_disabled()
    expect(panel.locator(".badge")).to_have_text("Not sent")
    reasons = panel.locator("#send-reasons li")
    expect(reasons).to_have_text(
        [
            "Vendor 'Pacific Plumbing Co' is not linked to a QuickBooks Online vendor.",
            "Commitment SC-005 is not approved yet (it is Draft).",
        ]
    )
    expect(send).to_have_attribute("aria-describedby", "send-reasons")
    # Reached with the keyboard, it is read with its reasons; pressing it sends nothing.
    expect(send).to_have_accessible_description(
        re.compile(r"It cannot be sent yet: .*is not linked to a QuickBooks Online vendor")
    )
    for _ in range(80):
        pm.keyboard.press("Tab")
        if send.evaluate("button => button === document.activeElement"):
            break
    expect(send).to_be_focused()
    pressed = "button => !button.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true}))"
    assert send.evaluate(pressed), "pressing the button would have sent the form"
