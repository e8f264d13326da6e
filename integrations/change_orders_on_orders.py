"""What a purchase order in the ERP says of the change orders exported onto it, for the ERPs
whose change order appends lines to its commitment's purchase order, each line's description
starting with the change order's marker (QuickBooks Online and Xero).

The drift of a purchase order compares it with the commitment plus the change orders standing on
it; each synced change order is also judged on its own: its lines gone from the order is drift.
"""

from __future__ import annotations

from collections.abc import Iterable

from approvals.models import Commitment, CommitmentChangeOrder
from approvals.states import ERPDrift, SyncStatus
from integrations.base import DocumentState
from integrations.documents import change_order_marker

# Change orders whose lines may stand on the purchase order: exported, or being exported.
ON_THE_ORDER = (SyncStatus.SYNCED, SyncStatus.EXPORTING)


def is_marked(descriptions: Iterable[str], change_order: CommitmentChangeOrder) -> bool:
    marker = change_order_marker(change_order)
    return any(str(description).startswith(marker) for description in descriptions)


def change_orders_standing(
    commitment: Commitment, descriptions: list[str]
) -> list[CommitmentChangeOrder]:
    """The commitment's change orders whose lines the purchase order should hold: every synced
    one, and one still being exported whose marked lines are already there."""
    return [
        change_order
        for change_order in CommitmentChangeOrder.objects.filter(
            commitment=commitment, sync_status__in=ON_THE_ORDER
        )
        .order_by("pk")
        .prefetch_related("lines__cost_code", "lines__commitment_line")
        if change_order.sync_status == SyncStatus.SYNCED or is_marked(descriptions, change_order)
    ]


def removed_from_order(
    change_order: CommitmentChangeOrder, descriptions: list[str], *, erp_name: str
) -> DocumentState | None:
    """Deleted drift when none of the change order's lines is on the purchase order any more."""
    if is_marked(descriptions, change_order):
        return None
    order = change_order.commitment
    return DocumentState(
        drift=ERPDrift.DELETED,
        note=f"The lines of change order {change_order.number} were removed from "
        f"purchase order {order.erp_doc_number or order.number} in {erp_name}.",
    )
