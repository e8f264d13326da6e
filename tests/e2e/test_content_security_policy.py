"""The Content-Security-Policy: scripts and styles only from our static files or with the
response's nonce. A violation on any page a browser test visits fails that test
(tests/e2e/conftest.py); the hanging-QuickBooks crawl (test_hanging_erp.py) visits every demo
page as each role."""

import pytest

from tests.e2e.conftest import watch_content_security_policy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_policy_allows_no_unsafe_scripts(browser, live_server):
    """Every page the browser tests open (the hanging-QuickBooks crawl opens every demo page
    as the project manager, the accountant and the administrator) fails on a violation; this
    checks the policy itself."""
    context = browser.new_context()
    page = context.new_page()
    for path in ("/accounts/login/", "/admin/login/"):
        header = page.goto(live_server.url + path).headers["content-security-policy"]
        script_src = next(part for part in header.split(";") if "script-src" in part)
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
        assert "'nonce-" in script_src
    context.close()


def test_a_script_without_the_nonce_is_reported(browser, live_server):
    violations: list[str] = []
    context = browser.new_context()
    watch_content_security_policy(context, violations)
    page = context.new_page()
    page.route(
        f"{live_server.url}/inline",
        lambda route: route.fulfill(
            headers={"Content-Security-Policy": "script-src 'self'"},
            content_type="text/html",
            body="<!doctype html><script>document.title = 'ran'</script>",
        ),
    )

    page.goto(f"{live_server.url}/inline")
    page.wait_for_timeout(200)
    context.close()

    assert any("script-src" in violation for violation in violations), violations
