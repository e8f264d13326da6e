"""A cost code made here becomes a QuickBooks Desktop service item whose purchases post to the
expense account chosen for it. The Web Connector adds it when it next runs; QuickBooks' answer
is brought in as the item list is, which links the cost code of that code.

Item names are unique in QuickBooks: an Add whose answer was lost and is sent again meets its
own item (status 3100), never makes a second one. That item is then linked by the next read of
the item list, which links an unlinked cost code to the item of the same code.
"""

from __future__ import annotations

from django.utils import timezone
from lxml import etree

from approvals import inbound
from approvals.models import SyncKind
from integrations.base import PermanentERPError
from integrations.quickbooks_desktop import lists, messages, outbox, qbxml
from integrations.quickbooks_desktop.models import DesktopConnection, QueuedRequest, RequestState
from integrations.quickbooks_desktop.xml import local_name

OPERATION = "ItemServiceAddRq"
# qbXML 12.0: ItemServiceAdd/Name STR31.
MAX_ITEM_NAME = 31
EXPENSE_ACCOUNT_TYPES = ("Expense", "CostOfGoodsSold", "OtherExpense")


def item_name(code: str, name: str) -> str:
    """ "09-2950 Acoustic ceilings": the name the item list read splits back into this code and
    name; the code alone when a name would not split back into it."""
    full = " ".join(f"{code} {name}".split())
    return full if lists.split_cost_code(full)[0] == code else code


def problems(code: str, name: str) -> list[str]:
    """Why QuickBooks cannot hold the cost code's item as it is; it is never shortened here."""
    wanted = item_name(code, name)
    found = []
    if len(wanted) > MAX_ITEM_NAME:
        found.append(
            f"The item's name in QuickBooks Desktop would be '{wanted}', {len(wanted)} "
            f"characters; QuickBooks Desktop allows at most {MAX_ITEM_NAME} in an item's name. "
            "Shorten the cost code's name here, then export it again."
        )
    if ":" in wanted:
        found.append(
            f"The item's name '{wanted}' holds a colon, which QuickBooks Desktop reserves to "
            "separate an item from its sub-items. Remove it, then export again."
        )
    return found


def item_add(name: str, account_list_id: str) -> str:
    """ItemServiceAddRq: a service item bought for jobs, its purchases on the expense account."""
    request = etree.Element(OPERATION)
    add = etree.SubElement(request, "ItemServiceAdd")
    etree.SubElement(add, "Name").text = name
    purchase = etree.SubElement(add, "SalesAndPurchase")
    etree.SubElement(purchase, "PurchaseDesc").text = name
    account = etree.SubElement(purchase, "ExpenseAccountRef")
    etree.SubElement(account, "ListID").text = account_list_id
    return etree.tostring(request, encoding="unicode")


def hand_off(desktop: DesktopConnection, *, code: str, name: str, account_list_id: str) -> str:
    """Queue the cost code's item (once while one waits); the sentence saying what waits."""
    found = problems(code, name)
    account = desktop.accounts.filter(list_id=account_list_id, is_active=True).first()
    if account is None or account.account_type not in EXPENSE_ACCOUNT_TYPES:
        found.append(
            "Choose one of the expense (or cost of goods sold) accounts read from QuickBooks "
            "Desktop for the cost code's costs."
        )
    if found:
        raise PermanentERPError(" ".join(found), code="cost_code_problems")
    wanted = item_name(code, name)
    purpose = f"add item '{wanted}' (cost code {code})"
    waiting = desktop.requests.filter(
        operation=OPERATION, purpose=purpose, state__in=outbox.WAITING
    )
    if not waiting.exists():
        QueuedRequest.objects.create(
            desktop=desktop,
            purpose=purpose,
            operation=OPERATION,
            body=item_add(wanted, account.list_id),
        )
    return (
        f"Item '{wanted}' on account '{account.full_name}' waits for the Web Connector; the "
        "cost code is linked to it when QuickBooks Desktop has added it."
    )


def settle(request: QueuedRequest, answer: qbxml.Answer) -> None:
    """QuickBooks' answer to an item Add: the item brought in (linking the cost code), its
    name already taken (the item list is read again, which links it), or a failure."""
    if answer.failed and answer.status_code == messages.NAME_IN_USE:
        outbox.list_read_queue(request.desktop, "ItemQueryRq")
        _finish(request, RequestState.DONE, messages.item_name_in_use(answer))
        return
    ret = next((r for r in answer.rets if local_name(r) == "ItemServiceRet"), None)
    if answer.failed or ret is None:
        _finish(request, RequestState.FAILED, messages.item_refused(answer))
        return
    inbound.list_rows_brought(
        connection=request.desktop.connection,
        kind=SyncKind.COST_CODES,
        rows=lists.cost_code(ret),
        finished=False,
    )
    _finish(request, RequestState.DONE, "")


def _finish(request: QueuedRequest, state: str, problem: str) -> None:
    request.state = state
    request.problem = problem
    request.finished_at = timezone.now()
    request.save(update_fields=["state", "problem", "finished_at"])
