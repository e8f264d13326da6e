"""The ERP's standard cost-code list: import its items, export a cost code we create.

An item becomes a cost code when QuickBooks can post it to a job's cost (a Service or
NonInventory item with an expense account). Matching an item: by its ERP id first, then an
unlinked cost code with the same code, else a new cost code (cost type 'other').
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from approvals import permissions
from approvals.models import CostCode, CostType, SyncKind
from approvals.services import sync_runs
from approvals.services.errors import NotPermitted, PreconditionsNotMet
from integrations.base import ERPError
from integrations.models import ERPConnection


def cost_codes_sync(*, connection: ERPConnection, progress=None) -> sync_runs.SyncSummary:
    """Import every usable item of the ERP into the standard cost-code list (the list is short:
    always read whole, so deactivations are seen too)."""
    summary = sync_runs.SyncSummary(kind=SyncKind.COST_CODES, full_read=True, progress=progress)
    started_at = timezone.now()
    with sync_runs.leased(connection, SyncKind.COST_CODES) as lease:
        reader = sync_runs.reader_for(connection)
        try:
            sync_runs.run_pages(
                lease=lease,
                summary=summary,
                pages=lambda start: reader.cost_code_pages(start=start),
                store_page=lambda rows: cost_codes_store(
                    connection=connection, items=rows, summary=summary
                ),
            )
        finally:
            reader.close()
        return sync_runs.finish(lease, summary, started_at=started_at)


def cost_codes_store(*, connection: ERPConnection, items: list, summary) -> None:
    for item in items:
        _store_one(connection, item, summary)


def _store_one(connection, item, summary) -> None:
    now = timezone.now()
    existing = CostCode.objects.filter(erp_connection=connection, erp_id=item.erp_id).first()
    if existing is None:
        existing = CostCode.objects.filter(code=item.code, erp_id="").order_by("pk").first()
        if existing is not None:
            CostCode.objects.filter(pk=existing.pk).update(
                erp_connection=connection,
                erp_id=item.erp_id,
                erp_sync_token=item.sync_token,
                erp_synced_at=now,
                is_active=item.is_active,
            )
            summary.linked += 1
            return
        if not item.is_active:
            summary.skip("inactive in the ERP", f"{item.code} {item.name}")
            return
        try:
            with transaction.atomic():
                CostCode.objects.create(
                    code=item.code,
                    name=item.name,
                    cost_type=CostType.OTHER,
                    erp_connection=connection,
                    erp_id=item.erp_id,
                    erp_sync_token=item.sync_token,
                    erp_synced_at=now,
                )
        except IntegrityError:
            summary.skip(
                "another cost code already has this code and is linked to another item",
                f"{item.code} {item.name}",
            )
            return
        summary.created += 1
        return
    values = {"name": item.name, "is_active": item.is_active, "erp_sync_token": item.sync_token}
    if all(getattr(existing, name) == value for name, value in values.items()):
        summary.unchanged += 1
        return
    CostCode.objects.filter(pk=existing.pk).update(**values, erp_synced_at=now)
    summary.updated += 1


def cost_code_export(*, cost_code: CostCode, actor, connection: ERPConnection, expense_account_id):
    """Create the ERP item for a cost code we made, so it joins the standard list."""
    if not permissions.is_administrator(actor) and not actor.has_perm("approvals.change_costcode"):
        raise NotPermitted("Only administrators and cost-code editors can export cost codes.")
    if cost_code.erp_id:
        raise PreconditionsNotMet([f"Cost code {cost_code} is already in the ERP."])
    if not str(expense_account_id or "").strip():
        raise PreconditionsNotMet(["Choose the expense account the cost code's costs post to."])
    reader = sync_runs.reader_for(connection)
    created_at = int(cost_code.pk or 0)
    try:
        item = reader.create_cost_code(
            code=cost_code.code,
            name=cost_code.name,
            expense_account_id=str(expense_account_id),
            request_id=f"costcode-{created_at}-{connection.pk}",
        )
    except ERPError as error:
        raise PreconditionsNotMet(
            [f"{reader.display_name} did not take cost code {cost_code}: {error.message}"]
        ) from error
    finally:
        reader.close()
    CostCode.objects.filter(pk=cost_code.pk).update(
        erp_connection=connection,
        erp_id=item.erp_id,
        erp_sync_token=item.sync_token,
        erp_synced_at=timezone.now(),
    )
    cost_code.refresh_from_db()
    return cost_code
