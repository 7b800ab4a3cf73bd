"""Support's writes: the audit row every operator action leaves."""

from django.db import transaction

from support.models import AuditEntry


def audit_record(*, user, action: str, payment=None, before: dict | None = None, after: dict | None = None,
                 comment: str = "", approval: str = "") -> AuditEntry:
    """Append one audit row; call it inside the action's own transaction so both commit or neither."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the action's transaction")
    return AuditEntry.objects.create(user=user, action=action, payment=payment, before=before or {},
                                     after=after or {}, comment=comment, approval=approval)
