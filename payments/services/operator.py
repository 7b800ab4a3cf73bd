"""What every operator action on a payment shares: the actor, the comment, the audit row, the checks.

Operator actions (resend, correct, bulk resend, cancel, reverse, resolve, poll now) are
services like the engine's: keyword-only, own their transaction, lock the payment row,
re-check its state under the lock and move it only through `payment_transition`. Each
writes an event on the payment (with the user) and an audit row in the same transaction,
so a double click or two operators at once do the action once: the second finds the
payment moved and is refused with a stable code (payments.errors.ActionCode).
Who may run an action alone and who must approve it is support's rule (support/approvals.py);
these functions do what they are told once that rule has let them through.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from providers import selectors as catalogue

from ..errors import ActionCode, ActionRefused
from ..models import Attempt, Payment


def actor_of(user) -> str:
    return f"user:{user.get_username()}"[:64]


def comment_required(comment: str) -> str:
    comment = (comment or "").strip()
    if not comment:
        raise ActionRefused(ActionCode.COMMENT_REQUIRED)
    return comment


def reference_required(reference: str) -> str:
    reference = (reference or "").strip()
    if not reference:
        raise ActionRefused(ActionCode.REFERENCE_REQUIRED)
    return reference[:64]


def has_open_attempt(payment: Payment) -> bool:
    return payment.attempts.filter(state=Attempt.State.OPEN).exists()


def in_flight(payment: Payment, attempt: Attempt) -> bool:
    """A worker reserved this attempt and is calling the gateway now (no answer recorded, lease running).

    Asking its status or deciding it by hand now could overtake the pay request still on its
    way (a status "not found" would resend it): the engine itself polls only after the lease.
    """
    return (attempt.state == Attempt.State.OPEN and not attempt.outcome and payment.next_try_at is not None
            and payment.next_try_at > timezone.now())


def state_of(payment: Payment) -> dict:
    """What the audit keeps before and after an action (JSON-safe)."""
    return {"status": payment.status, "reason": payment.reason, "provider": payment.provider.code
            if payment.provider_id else payment.provider_code, "account": payment.account,
            "fee": f"{payment.fee:.2f}", "credited": f"{payment.credited:.2f}", "reward": f"{payment.reward:.2f}",
            "round": payment.round}


def audit(*, user, action: str, payment: Payment | None, before: dict, comment: str, approval: str = "",
          after: dict | None = None):
    """The audit row of an action, in the action's transaction (support's append-only audit)."""
    from support.services import audit_record

    return audit_record(user=user, action=action, payment=payment, before=before,
                        after=after if after is not None else (state_of(payment) if payment else {}),
                        comment=comment, approval=approval)


def acceptance_refusal(*, provider, account: str, fields: dict, amount: Decimal, credited: Decimal,
                       snap) -> tuple[ActionCode, str] | None:
    """Acceptance's checks against today's catalogue, in acceptance's order; the first that fails.

    A payment accepted with them failing went straight to `failed`; a resend must not reach a
    gateway with them failing either. Returns (code, detail) or None.
    """
    if provider is None:
        return ActionCode.UNKNOWN_PROVIDER, ""
    bad_field = catalogue.fields_invalid(provider, account, fields, snap)
    if bad_field is not None:
        return ActionCode.ACCOUNT_FORMAT, bad_field
    if catalogue.account_blacklisted(provider, account, snap):
        return ActionCode.BLACKLISTED, ""
    if not (provider.min_amount <= amount <= provider.max_amount):
        return ActionCode.AMOUNT_OUT_OF_LIMITS, f"{provider.min_amount}–{provider.max_amount}"
    if credited < provider.min_amount:
        return ActionCode.AMOUNT_BELOW_MINIMUM, f"{credited} < {provider.min_amount}"
    if not provider.is_active:
        return ActionCode.PROVIDER_DISABLED, provider.code
    return None
