"""An export batch of one record type planned record by record, for the ERPs that create many
documents in one request (QuickBooks Online, Xero). Each connector plans a record, explains a
refusal and sends the creates in its own ERP's way; the order they go in is decided here.

Each record is planned in the batch's order as its export alone would be: refused, found by its
look-up, done at once, or a create still to send. A record with the identity (number or name)
of one the batch creates goes alone after the batch's request, so that its look-up sees what
the batch made, as one export after the other would. Each record settles on its own: its
ExportResult or its own ERPError.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from integrations.base import ERPError, ExportResult

type Outcome = ExportResult | ERPError


@dataclass
class BatchPlan[Create]:
    keys: dict[int, str]
    """Each record's idempotency key by its primary key, in the batch's order."""
    records: dict[int, Any]
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    """Settled so far: while planning, then by the request, then each export after it."""
    creates: dict[int, Create] = field(default_factory=dict)
    """What the batch's one request sends, in the batch's order."""
    after: list[int] = field(default_factory=list)
    """The records whose identity repeats one of the creates: each exported alone after them."""

    def send(self, send_batch: Callable[[dict, dict[int, Create]], dict[int, Outcome]]) -> None:
        """The creates in one request (none when there are none); each element's outcome is
        its own, and a request without a usable answer is each element's error."""
        if self.creates:
            self.outcomes.update(send_batch(self.records, self.creates))

    def export_after(self, export: Callable[..., ExportResult]) -> None:
        """Each record that waited, exported alone: its look-up finds what the request made."""
        for pk in self.after:
            try:
                self.outcomes[pk] = export(self.records[pk], idempotency_key=self.keys[pk])
            except ERPError as error:
                self.outcomes[pk] = error

    def in_order(self) -> list[Outcome]:
        """Each record's outcome, in the batch's order."""
        return [self.outcomes[pk] for pk in self.keys]


def plan_batch[Create](
    keys: dict[int, str],
    records: dict[int, Any],
    *,
    identity_of: Callable[[Any], Hashable | None],
    plan: Callable[[Any, str], ExportResult | Create],
    explained: Callable[[Any, ERPError], ERPError],
) -> BatchPlan[Create]:
    """Each record planned in order (`plan` raises what refuses it; `explained` turns that into
    its outcome). A record whose identity is None never waits for another."""
    batch: BatchPlan[Create] = BatchPlan(keys, records)
    identities: set[Hashable] = set()
    for pk in keys:
        record = records[pk]
        identity = identity_of(record)
        if identity in identities:
            batch.after.append(pk)
            continue
        try:
            planned = plan(record, keys[pk])
        except ERPError as error:
            batch.outcomes[pk] = explained(record, error)
        else:
            if isinstance(planned, ExportResult):
                batch.outcomes[pk] = planned
            else:
                batch.creates[pk] = planned
                if identity is not None:
                    identities.add(identity)
    return batch
