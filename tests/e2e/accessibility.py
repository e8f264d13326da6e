"""The accessibility check of the browser tests: axe-core (from the npm registry) with the WCAG
2.1 A and AA rules, on every page of the URL configuration, its path parameters filled from the
demo's records.

axe-core is installed into tests/e2e/axe/node_modules by `make test`, or here when it is missing
(`npm ci`, pinned by tests/e2e/axe/package-lock.json).
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from django.apps import apps
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from approvals.models import (
    Commitment,
    CommitmentChangeOrder,
    Company,
    Project,
    SubcontractorInvoice,
    VendorUpdate,
)
from approvals.states import SyncStatus

AXE_DIR = Path(__file__).resolve().parent / "axe"
AXE_SCRIPT = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_A_AND_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = ("serious", "critical")

# Pages that hand the browser to the ERP (OAuth) or take its notifications: not ours to show.
NOT_PAGES = {
    "quickbooks_online:connect",
    "quickbooks_online:callback",
    "quickbooks_online:disconnect",
    "quickbooks_online:webhooks",
    # The Web Connector's SOAP address: a browser gets one plain-text sentence, not a page.
    "quickbooks_desktop:qbwc",
    "admin:view_on_site",
    "admin:autocomplete",
    "admin:jsi18n",
    "health",
    # Posted only (send, retrieve, resend); a browser's visit answers 405.
    "approvals:record_action",
}
# The record a project-manager page's parameter names, by the path segment before it.
RECORD_BY_SEGMENT = {
    "projects": Project,
    "companies": Company,
    "commitments": Commitment,
    "change-orders": CommitmentChangeOrder,
    "invoices": SubcontractorInvoice,
    "vendor-updates": VendorUpdate,
}
# Admin decision pages, each for the records of one status, chosen by `?ids=`.
DECISION_STATUSES = {
    "accept": SyncStatus.READY_TO_EXPORT,
    "reject": SyncStatus.READY_TO_EXPORT,
    "retry": SyncStatus.EXPORT_FAILED,
    "unlink": SyncStatus.SYNCED,
}


def axe_script() -> str:
    if not AXE_SCRIPT.exists():
        _install_axe()
    return AXE_SCRIPT.read_text()


def _install_axe() -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "The accessibility check needs axe-core from the npm registry, and npm to install "
            "it: install npm (Debian: apt-get install npm), or run make test."
        )
    # Test workers start together; one installs, the others wait for it.
    with open(Path(tempfile.gettempdir()) / "erp-approvals-axe-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not AXE_SCRIPT.exists():
            subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--prefix", str(AXE_DIR)],
                check=True,
                timeout=300,
            )


RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations"],
  });
  return results.violations.map((violation) => ({
    rule: violation.id,
    impact: violation.impact,
    help: violation.help,
    where: violation.nodes.slice(0, 3).map((node) => node.target.join(" ")),
  }));
}"""


@dataclass(frozen=True)
class Violation:
    role: str
    url: str
    rule: str
    impact: str
    help: str
    where: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.role} {self.url}: {self.rule} ({self.impact}) {self.help} at {self.where}"


def violations_on(page, *, role: str, url: str) -> list[Violation]:
    """The serious and critical WCAG 2.1 A and AA violations axe finds on the page shown."""
    found = page.evaluate(RUN_AXE, WCAG_21_A_AND_AA)
    return [
        Violation(role=role, url=url, where=tuple(item.pop("where")), **item)
        for item in found
        if item["impact"] in BLOCKING_IMPACTS
    ]


# --- every page of the URL configuration ------------------------------------------------------


def open_page(page, url: str) -> bool:
    """Shows the URL if it answers this role with an HTML page of its own: not a refusal, a
    redirect (to the login page, checked on its own), a 405 to a posted-only URL or something
    other than HTML. The answer is asked for once and handed to the browser as it came."""
    answer = page.request.get(url, max_redirects=0)
    if answer.status != 200 or "text/html" not in answer.headers.get("content-type", ""):
        return False
    page.route(url, lambda route: route.fulfill(response=answer))
    page.goto(url)
    page.unroute(url)
    return True


def named_patterns() -> list[tuple[str, list[str], object]]:
    """(namespaced name, literal path segments in order, pattern) of every named URL."""
    found = []

    def walk(patterns, namespace: str | None, segments: list[str]) -> None:
        for pattern in patterns:
            here = [*segments, *str(pattern.pattern).split("/")]
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace
                name = f"{namespace}:{inner}" if namespace and inner else inner or namespace
                walk(pattern.url_patterns, name, here)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                found.append((name, here, pattern))

    walk(get_resolver().url_patterns, None, [])
    return found


def demo_urls() -> list[str]:
    """Every page of the URL configuration, its parameters filled with the first demo record of
    the kind each names (decision pages: the records waiting for that decision)."""
    urls: list[str] = []
    for name, segments, pattern in named_patterns():
        if name in NOT_PAGES:
            continue
        groups = pattern.pattern.regex.groupindex
        parameters = sorted(groups, key=groups.get)
        urls += _filled(name, segments, parameters)
    return list(dict.fromkeys(urls))


def _filled(name: str, segments: list[str], parameters: list[str]) -> list[str]:
    if name.startswith("admin:"):
        return _admin_urls(name, parameters)
    values = {parameter: _records_for(name, segments, parameter) for parameter in parameters}
    if not all(values.values()):
        return []
    return [reverse(name, kwargs={parameter: pks[0] for parameter, pks in values.items()})]


def _records_for(name: str, segments: list[str], parameter: str) -> list[int]:
    for before, segment in pairwise(segments):
        if segment.endswith(f":{parameter}>") and before in RECORD_BY_SEGMENT:
            return _records_of(RECORD_BY_SEGMENT[before])
    raise LookupError(f"No demo record for {parameter} of {name} ({'/'.join(segments)})")


def _records_of(model) -> list[int]:
    return list(model.objects.order_by("pk").values_list("pk", flat=True)[:1])


def _admin_urls(name: str, parameters: list[str]) -> list[str]:
    if name == "admin:app_list":
        return [
            reverse(name, kwargs={"app_label": config.label})
            for config in apps.get_app_configs()
            if config.models_module is not None and _has_admin(config.label)
        ]
    model = _admin_model(name)
    decision = name.rsplit("_", 1)[-1]
    if not parameters:
        url = reverse(name)
        if decision in DECISION_STATUSES and model is not None:
            ids = model.objects.filter(sync_status=DECISION_STATUSES[decision]).values_list(
                "pk", flat=True
            )
            return [f"{url}?ids={','.join(map(str, ids))}"] if ids else []
        return [url]
    if model is None:
        return []
    pk = model.objects.order_by("pk").values_list("pk", flat=True).first()
    return [] if pk is None else [reverse(name, kwargs={parameters[0]: pk})]


def _has_admin(label: str) -> bool:
    from django.contrib import admin

    return any(model._meta.app_label == label for model in admin.site._registry)


def _admin_model(name: str):
    """The model of an admin URL named '<app>_<model>_<view>', or None."""
    from django.contrib import admin

    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if name.startswith(prefix):
            return model
    if name.startswith("admin:auth_user_"):
        return get_user_model()
    return None
