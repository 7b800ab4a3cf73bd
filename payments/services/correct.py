"""Correct a failed payment's account and/or provider, then resend it.

The terminal's request stays as received: `content_hash`, `amount`, `paid_at`, the provider
code as sent and the account as sent (`account_sent`) are kept, so the kiosk posting the
same txn again still gets 200 with the payment as it is now. Fee, credited sum and reward
are computed again only when the provider changes, by the new provider's rules in force at
`paid_at` (what the customer was promised is judged by the day they paid).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from providers import selectors as catalogue

from ..errors import ActionCode, ActionRefused, Reason
from ..locks import lock_payment
from ..models import Payment, Status
from .operator import acceptance_refusal, actor_of, audit, comment_required, has_open_attempt, state_of
from .rounds import round_start


@dataclass(frozen=True)
class CorrectionQuote:
    """What a correction would change; shown to the operator before confirming."""

    provider: object
    account: str
    fee: Decimal
    credited: Decimal
    reward: Decimal
    old_fee: Decimal
    old_credited: Decimal
    old_reward: Decimal

    @property
    def credited_diff(self) -> Decimal:
        return self.credited - self.old_credited

    @property
    def fee_diff(self) -> Decimal:
        return self.fee - self.old_fee

    @property
    def reward_diff(self) -> Decimal:
        return self.reward - self.old_reward


def correction_quote(*, payment: Payment, account: str, provider_code: str, snap=None) -> CorrectionQuote:
    """The correction's new amounts, or ActionRefused with the reason it may not be made. Reads only."""
    if payment.status != Status.FAILED:
        raise ActionRefused(ActionCode.STATE, payment.status)
    if payment.reason == Reason.BLACKLISTED_ACCOUNT:
        raise ActionRefused(ActionCode.BLACKLISTED)
    if has_open_attempt(payment):
        raise ActionRefused(ActionCode.AMBIGUOUS)
    snap = snap or catalogue.snapshot_load()
    account = (account or "").strip() or payment.account
    provider_code = (provider_code or "").strip() or (payment.provider.code if payment.provider_id
                                                      else payment.provider_code)
    provider = catalogue.provider_by_code(provider_code, snap)
    if provider is None:
        raise ActionRefused(ActionCode.UNKNOWN_PROVIDER, provider_code)
    if provider.pk == payment.provider_id and account == payment.account:
        raise ActionRefused(ActionCode.NOTHING_TO_CORRECT)
    fee, credited, reward = payment.fee, payment.credited, payment.reward
    if provider.pk != payment.provider_id:
        q = catalogue.quote(provider=provider, dealer=payment.dealer, amount=payment.amount, at=payment.paid_at,
                            snap=snap)
        fee, credited, reward = q.fee, q.credited, q.reward
    refusal = acceptance_refusal(provider=provider, account=account, fields=payment.fields, amount=payment.amount,
                                 credited=credited, snap=snap)
    if refusal is not None:
        raise ActionRefused(*refusal)
    return CorrectionQuote(provider=provider, account=account, fee=fee, credited=credited, reward=reward,
                           old_fee=payment.fee, old_credited=payment.credited, old_reward=payment.reward)


def payment_correct(*, payment_id: int, user, comment: str, account: str = "", provider_code: str = "",
                    approval: str = "") -> Payment:
    """Set the new account and/or provider of a `failed` payment, then resend it in a new round.

    Refused (ActionRefused, nothing changed) as `correction_quote` says. The original
    provider and account, and the amounts before, go into the event's detail.
    """
    comment = comment_required(comment)
    snap = catalogue.snapshot_load()
    with transaction.atomic():
        payment = lock_payment(payment_id)
        q = correction_quote(payment=payment, account=account, provider_code=provider_code, snap=snap)
        before = state_of(payment)
        original = {"provider_code": payment.provider_code, "account": payment.account_sent or payment.account,
                    "account_before": payment.account,
                    "provider_before": payment.provider.code if payment.provider_id else "",
                    "fee": f"{payment.fee:.2f}", "credited": f"{payment.credited:.2f}",
                    "reward": f"{payment.reward:.2f}"}
        changes = {"account": q.account, "provider": q.provider, "fee": q.fee, "credited": q.credited,
                   "reward": q.reward, "account_sent": payment.account_sent or payment.account}
        Payment.objects.filter(pk=payment.pk).update(**changes)
        for field, value in changes.items():
            setattr(payment, field, value)
        round_start(payment, user=user, actor=actor_of(user), why="corrected",
                    detail={"action": "correct", "comment": comment, "approval": approval, "original": original,
                            "account": q.account, "provider": q.provider.code})
        audit(user=user, action="correct", payment=payment, before=before, comment=comment, approval=approval)
    return payment
