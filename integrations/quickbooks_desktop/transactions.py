"""QuickBooks Desktop's purchase transactions as the workflow keeps them (pure: qbXML …Ret
elements in, typed data of integrations.data out).

Job costing is per line: a bill, check, card charge or vendor credit carries the job as the
CustomerRef of each expense or item line, never on its header (reference §3.7). A vendor credit
lowers the job's cost, so its lines count negative. A line posting to a balance-sheet account
(retainage payable, a transfer) is money owed or held, never a cost of the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from integrations.data import (
    BillSummary,
    Deletion,
    DocumentKind,
    ImportedPayment,
    JobCostDocument,
    JobCostLine,
    PaymentAllocation,
)
from integrations.quickbooks_desktop.qbxml import ret_text
from integrations.quickbooks_desktop.xml import UnreadableXML, local_name

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
JOB_COST_RETS = {
    "BillRet": DocumentKind.BILL,
    "CheckRet": DocumentKind.EXPENSE,
    "CreditCardChargeRet": DocumentKind.EXPENSE,
    "VendorCreditRet": DocumentKind.CREDIT,
}
PAYMENT_RETS = {"BillPaymentCheckRet": "Check", "BillPaymentCreditCardRet": "Credit card"}
# The payee of each kind: bills and credits name a vendor, checks and charges any payee.
_PAYEE = {"BillRet": "VendorRef", "VendorCreditRet": "VendorRef"}
LINE_TAGS = ("ExpenseLineRet", "ItemLineRet")
# TxnDelType of what the job-cost read keeps, as the workflow calls it.
DELETED_KINDS = {
    "Bill": DocumentKind.BILL,
    "Check": DocumentKind.EXPENSE,
    "CreditCardCharge": DocumentKind.EXPENSE,
    "VendorCredit": DocumentKind.CREDIT,
    "BillPaymentCheck": DocumentKind.PAYMENT,
    "BillPaymentCreditCard": DocumentKind.PAYMENT,
}
# Account types whose balance sits on the balance sheet (qbXML AccountType values).
BALANCE_SHEET_ACCOUNT_TYPES = frozenset(
    {
        "AccountsPayable",
        "AccountsReceivable",
        "Bank",
        "CreditCard",
        "Equity",
        "FixedAsset",
        "LongTermLiability",
        "OtherAsset",
        "OtherCurrentAsset",
        "OtherCurrentLiability",
    }
)
VOID_MEMO = "VOID:"


def amount(text: str) -> Decimal:
    """An AMTTYPE: zero when missing (every child of a …Ret is optional); UnreadableXML when it
    is not an amount to the cent, never a guess."""
    if not text:
        return ZERO
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value != value.quantize(CENT):
        raise UnreadableXML(f"{text!r} is not an amount in dollars and cents.")
    return value.quantize(CENT)


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


@dataclass(frozen=True)
class BalanceSheet:
    """The ListIDs of the accounts on the balance sheet and of the items posting to them, and
    the full names (upper case) of items known to post there before any item read saw them."""

    accounts: frozenset[str] = frozenset()
    items: frozenset[str] = frozenset()
    item_names: frozenset[str] = frozenset()

    def holds(self, line: etree._Element) -> bool:
        """The line posts to the balance sheet: its account, or its item's account, is there."""
        return (
            ret_text(line, "AccountRef", "ListID") in self.accounts
            or ret_text(line, "ItemRef", "ListID") in self.items
            or ret_text(line, "ItemRef", "FullName").upper() in self.item_names
        )


def job_cost_document(ret: etree._Element, *, balance_sheet: BalanceSheet) -> JobCostDocument:
    """A BillRet, CheckRet, CreditCardChargeRet or VendorCreditRet with its lines charged to a
    job, except those posting to the balance sheet."""
    tag = local_name(ret)
    kind = JOB_COST_RETS[tag]
    payee = _PAYEE.get(tag, "PayeeEntityRef")
    sign = -1 if kind == DocumentKind.CREDIT else 1
    lines = []
    for line in ret:
        if local_name(line) not in LINE_TAGS or not ret_text(line, "CustomerRef", "ListID"):
            continue
        if balance_sheet.holds(line):
            continue
        lines.append(
            JobCostLine(
                line_id=ret_text(line, "TxnLineID"),
                job_erp_id=ret_text(line, "CustomerRef", "ListID"),
                cost_code_erp_id=ret_text(line, "ItemRef", "ListID"),
                account_name=ret_text(line, "AccountRef", "FullName")[:255],
                description=(ret_text(line, "Memo") or ret_text(line, "Desc"))[:4000],
                amount=sign * amount(ret_text(line, "Amount")),
            )
        )
    return JobCostDocument(
        kind=kind,
        erp_id=ret_text(ret, "TxnID"),
        date=_date(ret_text(ret, "TxnDate")),
        number=ret_text(ret, "RefNumber")[:30],
        vendor_erp_id=ret_text(ret, payee, "ListID"),
        vendor_name=ret_text(ret, payee, "FullName")[:500],
        lines=tuple(line for line in lines if line.line_id),
    )


def bill_summary(ret: etree._Element) -> BillSummary:
    """A BillRet as the duplicate-bill check reads it. QuickBooks voids a bill by zeroing it
    and prefixing its memo with "VOID:"; a bill carries no sales tax of its own."""
    total = amount(ret_text(ret, "AmountDue"))
    return BillSummary(
        erp_id=ret_text(ret, "TxnID"),
        vendor_erp_id=ret_text(ret, "VendorRef", "ListID"),
        number=ret_text(ret, "RefNumber")[:50],
        billed_on=_date(ret_text(ret, "TxnDate")),
        total=total,
        pre_tax_total=total,
        balance=amount(ret_text(ret, "OpenAmount")),
        is_voided=total == ZERO and ret_text(ret, "Memo").upper().startswith(VOID_MEMO),
    )


def payment(ret: etree._Element) -> ImportedPayment:
    """A BillPaymentCheckRet or BillPaymentCreditCardRet: what it paid of each bill, summed per
    bill (AppliedToTxnRet, one per bill paid)."""
    payment_id = ret_text(ret, "TxnID")
    paid: dict[str, Decimal] = {}
    for applied in ret.findall("AppliedToTxnRet"):
        bill_id = ret_text(applied, "TxnID")
        if bill_id and ret_text(applied, "TxnType") in ("", "Bill"):
            paid[bill_id] = paid.get(bill_id, ZERO) + amount(ret_text(applied, "Amount"))
    return ImportedPayment(
        erp_id=payment_id,
        allocations=tuple(
            PaymentAllocation(
                payment_id=payment_id,
                bill_id=bill_id,
                amount=total,
                paid_on=_date(ret_text(ret, "TxnDate")),
                method=PAYMENT_RETS[local_name(ret)],
            )
            for bill_id, total in paid.items()
            if total != ZERO
        ),
    )


def deletion(ret: etree._Element) -> Deletion | None:
    """A TxnDeletedRet of a kind the job-cost read keeps; None for any other."""
    kind = DELETED_KINDS.get(ret_text(ret, "TxnDelType"))
    txn_id = ret_text(ret, "TxnID")
    return Deletion(kind, txn_id) if kind is not None and txn_id else None
