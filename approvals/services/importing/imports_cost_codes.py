"""The ERP's standard cost-code list: import its items, export a cost code we create.

The reader decides which of the ERP's items can carry a job's cost; the list is short, so it is
read whole every time and deactivations show (and, where the ERP deletes items, so do deletions). Matching an item: by its ERP id first, then an
unlinked cost code with the same code, else a new cost code (cost type 'other'). Every item is
also kept as it was read (ERPCostCode): a cost code still linked to an earlier connection's item
is never re-linked here, but on the switching page, against that list.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from approvals import permissions
from approvals.models import CostCode, CostType, ERPCostCode, SyncKind
from approvals.services import erp, erp_links
from approvals.services.importing import sync_runs
from approvals.services.workflow.errors import NotPermitted, PreconditionsNotMet
from integrations.base import ERPError, QueuesCostCodes
from integrations.models import ERPConnection


def cost_codes_sync(*, connection: ERPConnection, progress=None) -> sync_runs.SyncSummary:
    """Import every usable item of the ERP into the standard cost-code list."""
    return sync_runs.list_sync(
        connection=connection,
        kind=SyncKind.COST_CODES,
        progress=progress,
        batches=lambda reader, token: reader.cost_code_batches(token),
        store=lambda rows, summary: cost_codes_store(
            connection=connection, items=rows, summary=summary
        ),
        gone=lambda listed, summary: _items_gone(connection, listed, summary),
    )


def _items_gone(connection: ERPConnection, listed: set[str], summary) -> None:
    """Items the ERP no longer lists (deleted there, or no longer usable as cost codes) make
    their cost codes inactive, as an item made inactive in the ERP does."""
    ERPCostCode.objects.filter(erp_connection=connection, is_active=True).exclude(
        erp_id__in=listed
    ).update(is_active=False)
    summary.updated += (
        CostCode.objects.filter(erp_connection=connection, is_active=True)
        .exclude(erp_id="")
        .exclude(erp_id__in=listed)
        .update(is_active=False, erp_synced_at=timezone.now())
    )


def cost_codes_store(*, connection: ERPConnection, items: list, summary) -> None:
    _keep_items(connection, items)
    for item in items:
        _store_one(connection, item, summary)


def _keep_items(connection: ERPConnection, items: list) -> None:
    ERPCostCode.objects.bulk_create(
        [
            ERPCostCode(
                erp_connection=connection,
                erp_id=item.erp_id,
                erp_version=item.version,
                code=item.code,
                name=item.name,
                is_active=item.is_active,
            )
            for item in items
        ],
        update_conflicts=True,
        unique_fields=["erp_connection", "erp_id"],
        update_fields=["erp_version", "code", "name", "is_active", "seen_at"],
    )


def _store_one(connection, item, summary) -> None:
    now = timezone.now()
    existing = CostCode.objects.filter(erp_connection=connection, erp_id=item.erp_id).first()
    if existing is None:
        existing = CostCode.objects.filter(code=item.code, erp_id="").order_by("pk").first()
        if existing is not None:
            CostCode.objects.filter(pk=existing.pk).update(
                erp_connection=connection,
                erp_id=item.erp_id,
                erp_version=item.version,
                erp_synced_at=now,
                is_active=item.is_active,
            )
            summary.linked += 1
            return
        if not item.is_active:
            summary.skip("inactive in the ERP", f"{item.code} {item.name}")
            return
        if (
            CostCode.objects.filter(code=item.code)
            .exclude(erp_id="")
            .exclude(erp_connection=connection)
            .exists()
        ):
            summary.skip(
                "the cost code with this code is linked to an earlier accounting system: "
                f"re-link or unlink it under {erp_links.SWITCH_PAGE}",
                f"{item.code} {item.name}",
            )
            return
        try:
            with transaction.atomic():
                CostCode.objects.create(
                    code=item.code,
                    name=item.name,
                    cost_type=CostType.OTHER,
                    erp_connection=connection,
                    erp_id=item.erp_id,
                    erp_version=item.version,
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
    values = {"name": item.name, "is_active": item.is_active, "erp_version": item.version}
    if all(getattr(existing, name) == value for name, value in values.items()):
        summary.unchanged += 1
        return
    CostCode.objects.filter(pk=existing.pk).update(**values, erp_synced_at=now)
    summary.updated += 1


def cost_code_export(*, cost_code: CostCode, actor, connection: ERPConnection, expense_account_id):
    """Create the ERP item for a cost code we made, so it joins the standard list; an ERP whose
    agent adds it later has it queued, and the cost code is linked when the agent answers."""
    if not permissions.is_administrator(actor) and not actor.has_perm("approvals.change_costcode"):
        raise NotPermitted("Only administrators and cost-code editors can export cost codes.")
    if cost_code.erp_id:
        raise PreconditionsNotMet([f"Cost code {cost_code} is already in the ERP."])
    if not str(expense_account_id or "").strip():
        raise PreconditionsNotMet(["Choose the expense account the cost code's costs post to."])
    connector = erp.connector_or_none(connection)
    if isinstance(connector, QueuesCostCodes):
        # Its agent adds the item when it next runs; bringing it back links the cost code.
        try:
            connector.cost_code_hand_off(
                code=cost_code.code, name=cost_code.name, expense_account_id=str(expense_account_id)
            )
        except ERPError as error:
            raise PreconditionsNotMet(
                [f"{connector.display_name} cannot take cost code {cost_code}: {error.message}"]
            ) from error
        return cost_code
    reader = erp.reader_for(connection)
    created_at = int(cost_code.pk or 0)
    try:
        item = reader.create_cost_code(
            code=cost_code.code,
            name=cost_code.name,
            expense_account_id=str(expense_account_id),
            idempotency_key=f"costcode-{created_at}-{connection.pk}",
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
        erp_version=item.version,
        erp_synced_at=timezone.now(),
    )
    cost_code.refresh_from_db()
    return cost_code
