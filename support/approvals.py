"""Who may do which correction alone, and four eyes for the rest: requests, approvals, expiry.

| action | `support` alone | `senior support` alone | needs a second senior |
|---|---|---|---|
| poll now, resend one failed payment | yes | yes | - |
| bulk resend, cancel | - | sum <= KIT_FOUR_EYES_AMOUNT | above it |
| correct, reverse, resolve | - | - | always |

Any support user may request any action: it runs at once when the requester's role allows
it alone, else it is stored as an `ActionRequest` and runs when a senior who is not the
requester approves it before it expires. Approval re-checks the payment under its row lock
(request row first, then the payment: one lock order) and refuses a request whose payment
moved meanwhile. Every request, approval and rejection writes an audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from kit.nav import user_roles
from kit.roles import ADMIN, SENIOR, SUPPORT
from payments.errors import ActionCode, ActionRefused
from payments.locks import lock_payment
from payments.models import Payment
from payments.services.bulk import BulkResult, payment_bulk_resend
from payments.services.cancel import cancel_refusal, payment_cancel
from payments.services.correct import correction_quote, payment_correct
from payments.services.operator import actor_of, comment_required, reference_required
from payments.services.poll_now import payment_poll_now, poll_refusal
from payments.services.resend import payment_resend, resend_refusal
from payments.services.resolve import RESOLUTIONS, payment_resolve, resolve_refusal
from payments.services.reverse import payment_reverse, reverse_refusal
from payments.services.transition import payment_note
from support.models import ActionRequest
from support.services import audit_record

A = ActionRequest.Action
ALONE_FOR_SUPPORT = frozenset({A.POLL, A.RESEND})
ALONE_FOR_SENIOR_UP_TO_LIMIT = frozenset({A.BULK_RESEND, A.CANCEL})


def is_support(user) -> bool:
    return bool(user_roles(user) & {SUPPORT, SENIOR, ADMIN})


def is_senior(user) -> bool:
    return bool(user_roles(user) & {SENIOR, ADMIN})


def needs_approval(*, user, action: str, amount: Decimal) -> bool:
    """Whether `user`'s request for `action` over `amount` waits for a second senior."""
    if action in ALONE_FOR_SUPPORT:
        return False
    if action in ALONE_FOR_SENIOR_UP_TO_LIMIT:
        return not (is_senior(user) and amount <= settings.KIT_FOUR_EYES_AMOUNT)
    return True


@dataclass
class Outcome:
    """What a request did: ran at once (`request` None) or waits (`request` pending)."""

    request: ActionRequest | None = None
    payment: Payment | None = None
    bulk: BulkResult | None = None

    @property
    def waiting(self) -> bool:
        return self.request is not None


def _check(action: str, payment: Payment | None, params: dict) -> None:
    """The action's own refusal, read without a lock, so a request that could never run is not stored."""
    if action == A.BULK_RESEND:
        if not params.get("payments"):
            raise ActionRefused(ActionCode.NOTHING_SELECTED)
        return
    if action in (A.REVERSE, A.RESOLVE):
        reference_required(params.get("reference", ""))
    if action == A.RESOLVE and params.get("outcome") not in RESOLUTIONS:
        raise ActionRefused(ActionCode.STATE, str(params.get("outcome", "")))
    if action == A.CORRECT:
        correction_quote(payment=payment, account=params.get("account", ""), provider_code=params.get("provider", ""))
        return
    check = {A.RESEND: resend_refusal, A.CANCEL: cancel_refusal, A.REVERSE: reverse_refusal,
             A.RESOLVE: resolve_refusal, A.POLL: poll_refusal}[action]
    refusal = check(payment)
    if refusal is not None:
        raise ActionRefused(*refusal)


def _run(action: str, *, payment_id: int | None, params: dict, user, comment: str, approval: str = ""):
    """Run the payments service of `action` (each owns its transaction, lock and audit row)."""
    if action == A.RESEND:
        return payment_resend(payment_id=payment_id, user=user, comment=comment, approval=approval)
    if action == A.CORRECT:
        return payment_correct(payment_id=payment_id, user=user, comment=comment, approval=approval,
                               account=params.get("account", ""), provider_code=params.get("provider", ""))
    if action == A.CANCEL:
        return payment_cancel(payment_id=payment_id, user=user, comment=comment, approval=approval)
    if action == A.REVERSE:
        return payment_reverse(payment_id=payment_id, user=user, comment=comment, approval=approval,
                               reference=params.get("reference", ""))
    if action == A.RESOLVE:
        return payment_resolve(payment_id=payment_id, user=user, comment=comment, approval=approval,
                               outcome=params.get("outcome", ""), reference=params.get("reference", ""))
    if action == A.BULK_RESEND:
        return payment_bulk_resend(payment_ids=list(params["payments"]), user=user, comment=comment,
                                   approval=approval)
    if action == A.POLL:
        return payment_poll_now(payment_id=payment_id, user=user, comment=comment)
    raise ValueError(action)


def _clean(action: str, params: dict) -> dict:
    keep = {A.CORRECT: ("account", "provider"), A.REVERSE: ("reference",), A.RESOLVE: ("outcome", "reference"),
            A.BULK_RESEND: ("payments",)}.get(action, ())
    out = {k: params[k] for k in keep if params.get(k) not in (None, "")}
    for k in ("account", "provider", "reference", "outcome"):
        if k in out:
            out[k] = str(out[k]).strip()[:64]
    if "payments" in out:
        out["payments"] = sorted({int(pk) for pk in out["payments"]})
    return out


def action_request(*, user, action: str, comment: str, payment_id: int | None = None,
                   params: dict | None = None) -> Outcome:
    """Ask for `action`: done at once when the user's role allows it alone, else stored for approval.

    Raises ActionRefused (nothing changed) for a missing comment or an action the payment's
    state does not allow. A second request for the same payment and action while one is
    pending returns the pending one.
    """
    if action not in A.values:
        raise ValueError(action)
    comment = comment_required(comment)
    params = _clean(action, params or {})
    payment = None
    if action == A.BULK_RESEND:
        amounts = Payment.objects.filter(pk__in=params.get("payments", [])).values_list("amount", flat=True)
        amount = sum(amounts, Decimal("0"))
    else:
        payment = Payment.objects.select_related("provider", "dealer", "terminal").get(pk=payment_id)
        amount = payment.amount
    _check(action, payment, params)
    if not needs_approval(user=user, action=action, amount=amount):
        done = _run(action, payment_id=payment_id, params=params, user=user, comment=comment)
        if isinstance(done, BulkResult):
            return Outcome(bulk=done)
        return Outcome(payment=done)
    now = timezone.now()
    with transaction.atomic():
        # A stale pending request of the same kind would block this one (one pending per payment + action).
        if payment is not None:
            ActionRequest.objects.filter(payment=payment, action=action, state=ActionRequest.State.PENDING,
                                         expires_at__lte=now).update(state=ActionRequest.State.EXPIRED)
        try:
            with transaction.atomic():
                req = ActionRequest.objects.create(
                    action=action, payment=payment, params=params, amount=amount, comment=comment,
                    payment_status=payment.status if payment else "", payment_round=payment.round if payment else 0,
                    requested_by=user,
                    expires_at=now + timedelta(hours=settings.KIT_APPROVAL_EXPIRY_HOURS))
        except IntegrityError:
            # The same request again (a double click, or a colleague): the pending one stands.
            return Outcome(request=ActionRequest.objects.get(payment=payment, action=action,
                                                             state=ActionRequest.State.PENDING), payment=payment)
        if payment is not None:
            payment_note(payment=payment, actor=actor_of(user), reason="approval_requested", user=user,
                         detail={"action": action, "request": req.pk, "comment": comment, **params})
        audit_record(user=user, action="request", payment=payment, comment=comment, approval=req.link,
                     before={"status": payment.status} if payment else {"payments": params.get("payments", [])},
                     after={"action": action, "amount": f"{amount:.2f}", **params})
    return Outcome(request=req, payment=payment)


def _decide(request_id: int, user, comment: str, *, approve: bool) -> Outcome:
    comment = comment_required(comment)
    refusal: ActionRefused | None = None
    outcome = Outcome()
    with transaction.atomic():
        req = ActionRequest.objects.select_for_update().get(pk=request_id)
        outcome.request = req
        if req.state != ActionRequest.State.PENDING:
            raise ActionRefused(ActionCode.NOT_PENDING, req.get_state_display())
        if approve and req.requested_by_id == user.pk:
            raise ActionRefused(ActionCode.OWN_REQUEST)
        now = timezone.now()
        req.decided_by, req.decided_at, req.decision_comment = user, now, comment
        if req.expires_at <= now:
            # Recorded as expired (and committed), then refused: approving too late changes nothing else.
            req.state = ActionRequest.State.EXPIRED
            req.save(update_fields=["state", "decided_by", "decided_at", "decision_comment"])
            audit_record(user=user, action="expire", payment=req.payment, comment=comment, approval=req.link)
            refusal = ActionRefused(ActionCode.EXPIRED)
        elif not approve:
            req.state = ActionRequest.State.REJECTED
            req.save(update_fields=["state", "decided_by", "decided_at", "decision_comment"])
            if req.payment is not None:
                payment_note(payment=req.payment, actor=actor_of(user), reason="approval_rejected", user=user,
                             detail={"action": req.action, "request": req.pk, "comment": comment})
            audit_record(user=user, action="reject", payment=req.payment, comment=comment, approval=req.link,
                         after={"action": req.action, **req.params})
        elif req.action == A.BULK_RESEND:
            # Claimed here, run below: each resend locks its payment (and the dealer, to debit) in its own
            # transaction, as workers do; holding them all in this one could deadlock with a worker.
            req.state = ActionRequest.State.DONE
            req.save(update_fields=["state", "decided_by", "decided_at", "decision_comment"])
            audit_record(user=user, action="approve", payment=None, comment=comment, approval=req.link,
                         after={"action": req.action, "payments": req.params.get("payments", [])})
        else:
            refusal = _approve_locked(req, user, outcome)
            audit_record(user=user, action="approve", payment=req.payment, comment=comment, approval=req.link,
                         after={"action": req.action, "state": req.state, **req.result})
    if refusal is not None:
        raise refusal
    if approve and req.action == A.BULK_RESEND and req.state == ActionRequest.State.DONE:
        outcome.bulk = payment_bulk_resend(payment_ids=list(req.params["payments"]), user=user, comment=req.comment,
                                           approval=req.link)
        req.result = outcome.bulk.as_dict()
        ActionRequest.objects.filter(pk=req.pk).update(result=req.result)
    return outcome


def _approve_locked(req: ActionRequest, user, outcome: Outcome) -> ActionRefused | None:
    """Run an approved request (request row locked); returns the refusal it met, recorded on the request."""
    refusal = None
    if req.payment_id is not None:
        payment = lock_payment(req.payment_id)
        if payment.status != req.payment_status or payment.round != req.payment_round:
            refusal = ActionRefused(ActionCode.PAYMENT_MOVED, f"{req.payment_status} → {payment.status}")
    if refusal is None:
        try:
            with transaction.atomic():
                done = _run(req.action, payment_id=req.payment_id, params=req.params, user=user,
                            comment=req.comment, approval=req.link)
        except ActionRefused as exc:
            refusal = exc
        else:
            if isinstance(done, BulkResult):
                outcome.bulk = done
                req.result = done.as_dict()
            else:
                outcome.payment = done
                req.result = {"status": done.status}
    if refusal is not None:
        req.state = ActionRequest.State.REFUSED
        req.result = {"code": refusal.code, "message": refusal.message}
    else:
        req.state = ActionRequest.State.DONE
    req.save(update_fields=["state", "result", "decided_by", "decided_at", "decision_comment"])
    return refusal


def action_approve(*, request_id: int, user, comment: str) -> Outcome:
    """A second senior approves: the action runs now (as that senior, linked to the request).

    Refused when the approver is not senior, is the requester, the request is no longer
    pending or has expired, or the payment moved since the request (recorded as refused).
    """
    if not is_senior(user):
        raise ActionRefused(ActionCode.NOT_SENIOR)
    return _decide(request_id, user, comment, approve=True)


def action_reject(*, request_id: int, user, comment: str) -> Outcome:
    """A senior rejects a request, or its requester withdraws it."""
    req = ActionRequest.objects.get(pk=request_id)
    if not is_senior(user) and req.requested_by_id != user.pk:
        raise ActionRefused(ActionCode.NOT_SENIOR)
    return _decide(request_id, user, comment, approve=False)
