"""Bulk resend: each payment of a selection through the same resend service, one by one."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from providers import selectors as catalogue

from ..errors import ActionCode, ActionRefused
from .operator import audit, comment_required
from .resend import payment_resend


@dataclass
class BulkResult:
    resent: list[int] = field(default_factory=list)
    refused: list[tuple[int, str, str]] = field(default_factory=list)  # (payment id, code, message)

    def as_dict(self) -> dict:
        return {"resent": self.resent, "refused": [list(r) for r in self.refused]}


def payment_bulk_resend(*, payment_ids: list[int], user, comment: str, approval: str = "") -> BulkResult:
    """Resend each payment in its own transaction (one refusal never undoes another's resend).

    Returns what was resent and what was refused with its code and message; one summary
    audit row joins the resends' own rows.
    """
    comment = comment_required(comment)
    if not payment_ids:
        raise ActionRefused(ActionCode.NOTHING_SELECTED)
    snap = catalogue.snapshot_load()
    result = BulkResult()
    for pk in sorted(set(payment_ids)):
        try:
            payment_resend(payment_id=pk, user=user, comment=comment, approval=approval, snap=snap)
        except ActionRefused as refused:
            result.refused.append((pk, refused.code, refused.message))
        else:
            result.resent.append(pk)
    with transaction.atomic():
        audit(user=user, action="bulk_resend", payment=None, before={"payments": sorted(set(payment_ids))},
              comment=comment, approval=approval, after=result.as_dict())
    return result
