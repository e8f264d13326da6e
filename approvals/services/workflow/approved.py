"""What an accept approves: one version of a record, as the connected ERP would receive it.

The accept's audit event keeps the connector's normalised document (references resolved,
without the ERP's own version field), its description (what the decision page showed), one
fingerprint of both, and its identity; the export recomputes them and refuses a document that
no longer matches, so a change to the record or to data it refers to (a cost code or vendor
re-linked, the retainage item changed) never reaches the books unapproved. Every retry of that
accept looks for the identity it kept.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from approvals.models import AuditEvent
from approvals.services.exporting.claims import NOT_CLAIMED
from approvals.services.workflow.records import key_prefix, noun
from approvals.states import Action
from integrations.base import ApprovedDocument, Connector
from integrations.describe import DocumentDescription

_MAX_DIFFERENCES = 5


def fingerprint(document: Any) -> str:
    """SHA-256 of the document's canonical JSON: equal documents, equal fingerprints."""
    text = json.dumps(
        document, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode()).hexdigest()


def current_approval(record, connector: Connector) -> ApprovedDocument:
    """What accepting `record` as it stands approves: the connector's document and identity,
    with its description of that document."""
    approved = connector.approved_document(record)
    return ApprovedDocument(
        document=approved.document,
        identity=approved.identity,
        description=connector.describe(record).as_data(),
    )


def approval_of(record, connector: Connector | None) -> dict | None:
    """What an accept of `record` as it stands approves, for its audit event (None with no
    connector: such a record cannot be exported, and its export says why)."""
    if connector is None:
        return None
    approved = current_approval(record, connector)
    return {
        "document": approved.document,
        "identity": approved.identity,
        "description": approved.description,
        "fingerprint": approval_fingerprint(approved),
    }


def description_fingerprint(description: DocumentDescription) -> str:
    """The fingerprint of what a decision page shows of a document: a page posts it back, and
    the accept refuses a document that no longer reads the same."""
    return fingerprint(description.facts())


def shown_differs(record, connector: Connector | None, shown: str) -> bool:
    """Does `record`'s document, before the approver's answers (posting date, the ERP's
    questions) are applied, read otherwise than what the page showed (`shown`, its
    description_fingerprint; "" when the page showed none)? Then data it refers to changed
    while the page was open: a cost code, vendor or job re-linked, the connection's settings."""
    if not shown or connector is None:
        return False
    return description_fingerprint(connector.describe(record)) != shown


def approval_fingerprint(approved: ApprovedDocument) -> str:
    """One fingerprint of the document and of its description (of the document alone for an
    accept kept before descriptions were)."""
    if approved.description is None:
        return fingerprint(approved.document)
    return fingerprint({"document": approved.document, "description": _facts(approved)})


def _facts(approved: ApprovedDocument) -> dict[str, str]:
    """What the description says of the approved document, label → text."""
    if approved.description is None:
        return {}
    return DocumentDescription.from_data(approved.description).facts()


def latest_approval(record) -> ApprovedDocument | None:
    """What the record's last accept approved (retries export that same version)."""
    event = (
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(type(record)),
            object_id=record.pk,
            action=Action.ACCEPT,
        )
        .order_by("-created_at", "-pk")
        .only("approved")
        .first()
    )
    if event is None or not event.approved:
        return None
    return ApprovedDocument(
        document=event.approved["document"],
        identity=event.approved["identity"],
        description=event.approved.get("description"),
    )


def export_started_changes(model) -> dict:
    """The fields an accept or a retry writes with its transition: a new attempt starts now,
    with a transport key of its own (the key is unique per record, also in a bulk UPDATE)."""
    token = secrets.token_hex(6)
    return {
        "export_attempt": F("export_attempt") + 1,
        "export_started_at": timezone.now(),
        "export_try": 1,
        **NOT_CLAIMED,
        "last_export_error": "",
        "export_request_key": Concat(
            Value(f"{key_prefix(model)}-"),
            Cast("pk", output_field=CharField()),
            Value(f"-{token}"),
            output_field=CharField(),
        ),
    }


def new_request_key(record) -> str:
    """A fresh transport key for the next try, after the ERP answered the last one with an error."""
    return f"{key_prefix(record)}-{record.pk}-{secrets.token_hex(6)}"


def mismatch_sentence(
    record, approved: ApprovedDocument | None, current: ApprovedDocument, erp_name: str
) -> str:
    """Why the export refuses `record`, or '' when it is still the approved document (and
    description: what the accountant read)."""
    if approved is not None:
        if approved.description is None:
            current = ApprovedDocument(document=current.document, identity=current.identity)
        if approval_fingerprint(current) == approval_fingerprint(approved):
            return ""
    what = noun(record)
    advice = (
        f"Nothing was sent to {erp_name}. Reject the {what} (or have its sender retrieve it) "
        "so it is reviewed and accepted again."
    )
    if approved is None:
        return f"This {what} has no approved version to export. {advice}"
    # Said in the description's words where it shows the change; else in the document's.
    changed = _fact_differences(_facts(approved), _facts(current)) or differences(
        approved.document, current.document
    )
    said = "; ".join(changed[:_MAX_DIFFERENCES])
    if len(changed) > _MAX_DIFFERENCES:
        said += f"; and {len(changed) - _MAX_DIFFERENCES} more"
    return f"This {what} changed after it was approved ({said}). {advice}"


def _fact_differences(approved: dict[str, str], current: dict[str, str]) -> list[str]:
    """ "Line 2 item or account: 'Drywall (id 5)' → 'Framing (id 7)'", in reading order."""
    labels = [*approved, *(label for label in current if label not in approved)]
    return [
        f"{label}: {_shown(approved.get(label))} → {_shown(current.get(label))}"
        for label in labels
        if approved.get(label) != current.get(label)
    ]


def differences(approved: Any, current: Any) -> list[str]:
    """'Line 2 Amount: 3000.00 → 30000.00' for every leaf that differs between two documents."""
    # Compared as text: a document read back from the audit trail holds its amounts as text.
    before, after = _leaves(approved), _leaves(current)
    sentences = []
    for path in sorted(set(before) | set(after), key=_path_order):
        if _text(before.get(path)) != _text(after.get(path)):
            sentences.append(
                f"{_path_label(path)}: {_shown(before.get(path))} → {_shown(after.get(path))}"
            )
    return sentences


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _leaves(value: Any, path: tuple = ()) -> dict[tuple, Any]:
    if isinstance(value, dict):
        found: dict[tuple, Any] = {}
        for key, item in value.items():
            found.update(_leaves(item, (*path, str(key))))
        return found
    if isinstance(value, list):
        found = {}
        for index, item in enumerate(value, start=1):
            found.update(_leaves(item, (*path, index)))
        return found
    return {path: value}


def _path_order(path: tuple) -> tuple:
    return tuple((0, part) if isinstance(part, int) else (1, part) for part in path)


def _path_label(path: tuple) -> str:
    parts = []
    for part in path:
        if isinstance(part, int):
            parts.append(str(part))
        elif part != "value":  # a reference's id: its field names it already
            parts.append(part)
    return " ".join(parts) or "the document"


def _shown(value: Any) -> str:
    if value is None:
        return "(none)"
    text = str(value)
    return f"'{text}'" if text else "(empty)"
