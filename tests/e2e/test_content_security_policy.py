"""Every demo page, the admin's included, keeps to its Content-Security-Policy: scripts and
styles only from our static files or with the response's nonce. A violation on any page a
browser test visits fails that test (tests/e2e/conftest.py); this test visits them all."""

import re
from urllib.parse import parse_qsl, urlencode, urlparse

import pytest
from django.urls import reverse

from approvals.models import Commitment, CommitmentChangeOrder, Company, SubcontractorInvoice
from approvals.states import SyncStatus
from tests.e2e.conftest import watch_content_security_policy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOT_PAGES = ("/static/", "/accounts/logout/", "/admin/logout/", "/erp/quickbooks-online/callback/")
MAX_PAGES = 400
# Sorting, filtering and paging show the same page again; only the queue makes another one.
KEPT_QUERY = {"queue", "ids"}
# One record of each kind shows its page's template; the others would repeat it.
RECORD_ID = re.compile(r"/(\d+|[0-9a-f]{8}-[0-9a-f-]{27})/")
DECIDED = (Company, Commitment, CommitmentChangeOrder, SubcontractorInvoice)


def decision_pages() -> list[str]:
    """The accept and reject pages of the records waiting in the queues (reached by POST)."""
    pages = []
    for model in DECIDED:
        ids = ",".join(
            str(pk)
            for pk in model.objects.filter(sync_status=SyncStatus.READY_TO_EXPORT).values_list(
                "pk", flat=True
            )
        )
        if ids:
            for decision in ("accept", "reject"):
                url = reverse(f"admin:approvals_{model._meta.model_name}_{decision}")
                pages.append(f"{url}?ids={ids}")
    return pages


def walk(page, origin: str, start: list[str], statuses: dict[str, int]) -> None:
    """Visit every kind of page linked from `start` on this site, noting the HTTP status of each
    in `statuses` (by the page's pattern)."""
    waiting = [origin + path for path in start]
    while waiting and len(statuses) < MAX_PAGES:
        url = waiting.pop(0)
        pattern = RECORD_ID.sub("/<id>/", url)
        if pattern in statuses:
            continue
        statuses[pattern] = page.goto(url).status
        for link in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            target = urlparse(link)
            if target.netloc == urlparse(origin).netloc and not any(
                target.path.startswith(prefix) for prefix in NOT_PAGES
            ):
                waiting.append(origin + page_of(target))
    return statuses


def page_of(target) -> str:
    query = urlencode([(key, value) for key, value in parse_qsl(target.query) if key in KEPT_QUERY])
    return target.path + (f"?{query}" if query else "")


def test_every_demo_page_keeps_to_a_policy_without_unsafe_scripts(demo, sign_in, live_server):
    pm = sign_in("pm")
    header = pm.goto(live_server.url + "/").headers["content-security-policy"]
    script_src = next(part for part in header.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "'nonce-" in script_src

    visited: dict[str, int] = {}
    walk(pm, live_server.url, ["/"], visited)
    admin = sign_in("admin", at="/admin/")
    walk(admin, live_server.url, ["/", "/admin/", *decision_pages()], visited)

    assert len(visited) > 60, sorted(visited)
    broken = {url: status for url, status in visited.items() if status >= 500}
    assert not broken


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
