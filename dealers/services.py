"""Dealer operations: the tree and the ledger. The balance changes only here.

Also the dealer's money around it: rewards per level (accrued with a payment's success,
credited by the settlement run, reversed with the payment), transfers inside a subtree,
top-up requests, the low-balance threshold, and the cabinet's sub-agents, their rates and users.
Refusals raise DealerError with a stable `code` and a message for people.
"""

import logging
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kit.money import ZERO, MoneyError, rub
from kit.rows import Chain, Step

from .locks import lock_dealers
from .models import BalanceAlert, Dealer, DealerUser, LedgerEntry, Reward, TopUpRequest, Transfer
from .signals import balance_changed, topped_up

log = logging.getLogger("kit.dealers")


class LedgerError(ValueError):
    pass


class DealerError(ValueError):
    """A dealer action refused: `code` is stable (tests and callers key on it), the message is for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@transaction.atomic
def dealer_create(*, name: str, parent: Dealer | None = None, **fields) -> Dealer:
    """Create a dealer (or a sub-agent under `parent`) and set its tree path."""
    dealer = Dealer.objects.create(name=name, parent=parent, **fields)
    dealer.path = f"{parent.path if parent else '/'}{dealer.pk}/"
    dealer.save(update_fields=["path"])
    return dealer


def ledger_post(*, dealer_id: int, kind: str, amount: Decimal, payment=None, by=None,
                comment: str = "") -> LedgerEntry:
    """Post one entry and move the balance by it, in the caller's transaction.

    The balance moves with an F() update (the UPDATE takes the row lock), never
    read-add-save, so concurrent entries cannot lose each other.
    """
    if not transaction.get_connection().in_atomic_block:
        raise LedgerError("ledger_post must run inside a transaction")
    amount = rub(amount)
    if amount == 0:
        raise LedgerError("a ledger entry moves money")
    updated = Dealer.objects.filter(pk=dealer_id).update(balance=F("balance") + amount)
    if updated != 1:
        raise LedgerError(f"no dealer {dealer_id}")
    balance_after = Dealer.objects.values_list("balance", flat=True).get(pk=dealer_id)
    return LedgerEntry.objects.create(dealer_id=dealer_id, kind=kind, amount=amount,
                                      balance_after=balance_after, payment=payment,
                                      created_by=by, comment=comment[:255])


def ledger_debit_covered(*, dealer_id: int, amount: Decimal, kind: str, payment=None,
                         comment: str = "") -> LedgerEntry | None:
    """Debit `amount` if balance + credit limit cover it; None (and nothing written) if not.

    One conditional UPDATE ... RETURNING checks, moves and reads the balance under the row
    lock it takes, so two debits can never both pass the check on the same money.
    """
    if not transaction.get_connection().in_atomic_block:
        raise LedgerError("ledger_debit_covered must run inside a transaction")
    amount = rub(amount)
    if amount <= 0:
        raise LedgerError("a debit is a positive amount")
    table = Dealer._meta.db_table
    with transaction.get_connection().cursor() as cur:
        cur.execute(
            # CAST: SQLite binds a Decimal as text, and text never compares below a number.
            f"UPDATE {table} SET balance = balance - CAST(%s AS NUMERIC) "  # noqa: S608 - our table name
            f"WHERE id = %s AND balance + credit_limit >= CAST(%s AS NUMERIC) RETURNING balance",
            [amount, dealer_id, amount])
        row = cur.fetchone()
    if row is None:
        return None
    # PostgreSQL returns a Decimal; SQLite (development) a number, read through its text.
    after = row[0] if isinstance(row[0], Decimal) else str(row[0])
    return LedgerEntry.objects.create(dealer_id=dealer_id, kind=kind, amount=-amount,
                                      balance_after=rub(after), payment=payment, comment=comment[:255])


def dealer_topup(*, dealer: Dealer, amount: Decimal, by=None, comment: str = "") -> LedgerEntry:
    """Add prepaid money to a dealer's balance (a ledger entry); held payments may resume."""
    amount = rub(amount)
    if amount <= 0:
        raise LedgerError("a top-up is a positive amount")
    with transaction.atomic():
        entry = ledger_post(dealer_id=dealer.pk, kind=LedgerEntry.Kind.TOPUP, amount=amount,
                            by=by, comment=comment)
        # Payments held for want of balance may resume: payments owns that rule (and the
        # sweeper picks the dealer up too, should the message be lost).
        topped_up.send(sender=Dealer, dealer_id=dealer.pk)
        balance_changed.send(sender=Dealer, dealer_ids=[dealer.pk])
    return entry


def dealer_user_settings_set(*, link, time_zone: str, language: str):
    """A cabinet user's own time zone and language (blank: the dealer's zone, the site's language)."""
    link.time_zone = time_zone
    link.language = language
    link.save(update_fields=["time_zone", "language"])
    return link


def _audit(by, action: str, **after) -> None:
    """An audit row for a person's action on dealer money (none for the system's own runs)."""
    if by is None or not getattr(by, "is_authenticated", False):
        return
    from support.services import audit_record

    audit_record(user=by, action=action, after={k: str(v) for k, v in after.items()})


def _amount(value, *, code_prefix: str = "") -> Decimal:
    """A positive amount with at most two decimals, else DealerError (no rounding of people's figures)."""
    try:
        d = Decimal(str(value))
    except ArithmeticError as exc:
        raise DealerError("bad_amount", _("Enter an amount in rubles, e.g. 1000.00.")) from exc
    if not d.is_finite():
        raise DealerError("bad_amount", _("Enter an amount in rubles, e.g. 1000.00."))
    if d != d.quantize(Decimal("0.01")):
        raise DealerError("too_many_decimals", _("At most two digits after the point (kopecks)."))
    if d <= 0:
        raise DealerError("not_positive", _("The amount must be more than zero."))
    return rub(d)


# -- rewards per level ---------------------------------------------------------------------------
def reward_shares(*, payment) -> list[tuple[int, int, Decimal]]:
    """(dealer id, level, share) of each dealer of the payment's chain with a non-zero share.

    Each dealer D of the chain has an amount rub(D's percent x credited + D's fixed) by the rates
    in force at `paid_at` (providers.selectors.reward_rates); the terminal's dealer (level 0)
    keeps its own amount, each ancestor its amount minus its child's. The caps make every
    share non-negative.
    """
    from providers.selectors import reward_rates, snapshot

    if payment.provider_id is None or payment.credited <= 0:
        return []
    snap = snapshot()
    if not snap.reward_rules.get(payment.provider_id):  # no rate anywhere: not even a query
        return []
    # The engine's locked payment comes with its dealer's path (payments/locks.py: lock_payment_lean).
    dealer = payment.dealer if type(payment).dealer.is_cached(payment) else None
    if dealer is not None and "path" not in dealer.get_deferred_fields():
        path = dealer.path
    else:
        path = Dealer.objects.values_list("path", flat=True).get(pk=payment.dealer_id)
    rates = reward_rates(provider_id=payment.provider_id, dealer=Dealer(pk=payment.dealer_id, path=path),
                         at=payment.paid_at, snap=snap)
    amounts = [(dealer_id, rate.amount(payment.credited) if rate else ZERO) for dealer_id, rate in rates]
    shares = []
    below = ZERO
    for level, (dealer_id, amount) in enumerate(reversed(amounts)):
        share = amount - below
        if share < 0:  # cannot happen under the caps; refuse rather than take money from an ancestor
            raise LedgerError(f"negative reward share for dealer {dealer_id} on payment {payment.pk}")
        if share:
            shares.append((dealer_id, level, share))
        below = amount
    return shares


def reward_accrue_for_payment(*, payment, chain: Chain | None = None, after: Step | None = None) -> list[Reward]:
    """Write the payment's reward shares as accrued rows, in the caller's transaction (its success).

    Inserts only: no dealer row is read for update or written, so a network's successes never
    queue on the root dealer's balance row. Idempotent (one row per payment and dealer: ON
    CONFLICT DO NOTHING). `chain`: the rows are steps of the caller's writes (kit/rows.py), sent
    with its transition in one round trip (all or nothing), written only when `after` (the
    transition) wrote.
    """
    if chain is None and not transaction.get_connection().in_atomic_block:
        raise LedgerError("reward_accrue_for_payment must run in the success transaction")
    rows = [Reward(payment_id=payment.pk, dealer_id=dealer_id, level=level, amount=share)
            for dealer_id, level, share in reward_shares(payment=payment)]
    writes = chain or Chain()
    for row in rows:
        writes.insert_new(row, after=after)
    if chain is None:
        writes.run()
    return rows


def reward_settle_dealer(*, dealer_id: int, now=None) -> LedgerEntry | None:
    """Credit the dealer's accrued rows as one `reward` entry and mark them settled, atomically.

    The rows are locked first; a concurrent run for the same dealer waits and then finds them
    settled (PostgreSQL re-checks the WHERE on the locked rows), so each row is credited once.
    Rows accrued while this runs are left for the next run.
    """
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(Reward.objects.select_for_update().filter(dealer_id=dealer_id, state=Reward.State.ACCRUED)
                    .order_by("pk").values_list("pk", "amount"))
        if not rows:
            return None
        ids = [pk for pk, _a in rows]
        total = sum((a for _pk, a in rows), ZERO)
        entry = ledger_post(dealer_id=dealer_id, kind=LedgerEntry.Kind.REWARD, amount=total,
                            comment=f"rewards: {len(ids)}")
        updated = 0
        for i in range(0, len(ids), 2000):
            updated += Reward.objects.filter(pk__in=ids[i:i + 2000], state=Reward.State.ACCRUED).update(
                state=Reward.State.SETTLED, settled_at=now, settlement=entry)
        if updated != len(ids):  # the lock makes this impossible; never credit what is not marked
            raise LedgerError(f"dealer {dealer_id}: {len(ids)} rows locked, {updated} marked")
    return entry


def rewards_settle(*, now=None) -> dict:
    """One settlement run: every dealer with accrued rows gets one `reward` entry (see reward_settle_dealer)."""
    dealer_ids = sorted(set(Reward.objects.filter(state=Reward.State.ACCRUED).order_by()
                            .values_list("dealer_id", flat=True).distinct()))
    entries = [e for e in (reward_settle_dealer(dealer_id=d, now=now) for d in dealer_ids) if e is not None]
    return {"dealers": len(entries), "total": str(sum((e.amount for e in entries), ZERO))}


def reward_reverse_for_payment(*, payment, by=None) -> list[Reward]:
    """Undo a reversed payment's rewards: accrued rows become void, settled ones are reversed by a
    negative `reward` entry per dealer. Safe to call twice; call it in the reversal's transaction
    (it opens its own otherwise). Returns the rows it changed.
    """
    changed = []
    with transaction.atomic():
        rows = list(Reward.objects.select_for_update().filter(
            payment_id=payment.pk, state__in=[Reward.State.ACCRUED, Reward.State.SETTLED]).order_by("pk"))
        for row in rows:
            if row.state == Reward.State.ACCRUED:
                Reward.objects.filter(pk=row.pk).update(state=Reward.State.VOID)
                row.state = Reward.State.VOID
            else:
                entry = ledger_post(dealer_id=row.dealer_id, kind=LedgerEntry.Kind.REWARD, amount=-row.amount,
                                    payment=payment, by=by,
                                    comment=f"reversal {getattr(payment, 'cheque_number', payment.pk)}")
                Reward.objects.filter(pk=row.pk).update(state=Reward.State.REVERSED, reversal=entry)
                row.state, row.reversal = Reward.State.REVERSED, entry
            changed.append(row)
    return changed


# -- transfers -----------------------------------------------------------------------------------
def transfer_make(*, dealer: Dealer, agent_id: int, amount, direction: str, key: uuid.UUID | str,
                  by=None, comment: str = "") -> Transfer:
    """Move money between `dealer` and `agent_id`, a dealer of its subtree below it.

    direction "to": from the dealer's own positive balance to the agent; "from": back from the
    agent, up to the agent's positive balance. Credit is never transferred: the sender's balance
    may not go below zero. Two entries (transfer_out, transfer_in) in one transaction with both
    dealer rows locked in primary-key order; the receiver's held payments resume on commit.
    `key` is the form's one-time key: the same key again returns the first transfer.
    """
    amount = _amount(amount)
    if direction not in ("to", "from"):
        raise DealerError("bad_direction", _("Choose the direction of the transfer."))
    agent = Dealer.objects.filter(pk=agent_id, path__startswith=dealer.path).exclude(pk=dealer.pk).first()
    if agent is None:
        raise DealerError("outside_subtree", _("Money moves only between a dealer and its own sub-agents."))
    source, target = (dealer, agent) if direction == "to" else (agent, dealer)
    try:
        with transaction.atomic():
            # The key first: a second submit of the same form stops here (on PostgreSQL it waits for
            # the first to commit), before any balance is looked at.
            transfer = Transfer.objects.create(source=source, target=target, amount=amount, key=key,
                                               comment=comment[:255], created_by=by if by and by.pk else None)
            locked = lock_dealers([source.pk, target.pk])
            if locked[source.pk].balance - amount < 0:
                raise DealerError("insufficient_balance",
                                  _("Only %(available)s can be transferred from %(name)s: credit is never "
                                    "transferred.") % {"available": max(locked[source.pk].balance, ZERO),
                                                       "name": source.name})
            note = comment[:200]
            transfer.out_entry = ledger_post(dealer_id=source.pk, kind=LedgerEntry.Kind.TRANSFER_OUT,
                                             amount=-amount, by=by, comment=f"→ {target.name} {note}".strip())
            transfer.in_entry = ledger_post(dealer_id=target.pk, kind=LedgerEntry.Kind.TRANSFER_IN,
                                            amount=amount, by=by, comment=f"← {source.name} {note}".strip())
            transfer.save(update_fields=["out_entry", "in_entry"])
            _audit(by, "dealer_transfer", source=source.pk, target=target.pk, amount=amount, transfer=transfer.pk)
            topped_up.send(sender=Dealer, dealer_id=target.pk)
            balance_changed.send(sender=Dealer, dealer_ids=[source.pk, target.pk])
    except IntegrityError:
        existing = Transfer.objects.filter(key=key).first()
        if existing is None:
            raise
        if (existing.source_id, existing.target_id, existing.amount) != (source.pk, target.pk, amount):
            raise DealerError("key_reused", _("This form was already used for another transfer; "
                                              "open the page again.")) from None
        return existing
    return transfer


# -- top-up requests -----------------------------------------------------------------------------
def topup_request_create(*, dealer: Dealer, amount, paid_on, order_number: str, key, scan=None,
                         by=None) -> TopUpRequest:
    """A dealer reports a bank transfer; it waits for an admin. The same form key again returns the first."""
    amount = _amount(amount)
    order_number = (order_number or "").strip()
    if not order_number:
        raise DealerError("no_order_number", _("Enter the payment order number."))
    try:
        with transaction.atomic():
            return TopUpRequest.objects.create(dealer=dealer, amount=amount, paid_on=paid_on,
                                               order_number=order_number[:32], key=key, scan=scan or "",
                                               created_by=by if by and by.pk else None)
    except IntegrityError:
        existing = TopUpRequest.objects.filter(key=key, dealer=dealer).first()
        if existing is None:
            raise
        return existing


def _may_decide(by) -> None:
    if (by is None or not by.is_active or not by.is_staff or DealerUser.objects.filter(user=by).exists()
            or not by.has_perm("dealers.confirm_topuprequest")):
        raise DealerError("not_allowed", _("Only an administrator may confirm or reject top-up requests."))


def topup_request_confirm(*, request_id: int, by) -> TopUpRequest:
    """Credit the reported sum (a `topup` entry) and resume held payments. Confirming twice credits once."""
    _may_decide(by)
    with transaction.atomic():
        req = TopUpRequest.objects.select_for_update().get(pk=request_id)
        if req.state == TopUpRequest.State.CONFIRMED:
            return req
        if req.state != TopUpRequest.State.PENDING:
            raise DealerError("already_decided", _("This request was already rejected."))
        req.entry = ledger_post(dealer_id=req.dealer_id, kind=LedgerEntry.Kind.TOPUP, amount=req.amount, by=by,
                                comment=_("bank transfer, order %(n)s of %(d)s") % {
                                    "n": req.order_number, "d": req.paid_on.strftime("%d.%m.%Y")})
        req.state, req.decided_by, req.decided_at = TopUpRequest.State.CONFIRMED, by, timezone.now()
        req.save(update_fields=["entry", "state", "decided_by", "decided_at"])
        _audit(by, "dealer_topup_confirm", request=req.pk, dealer=req.dealer_id, amount=req.amount)
        topped_up.send(sender=Dealer, dealer_id=req.dealer_id)
        balance_changed.send(sender=Dealer, dealer_ids=[req.dealer_id])
    return req


def topup_request_reject(*, request_id: int, by, reason: str) -> TopUpRequest:
    """Refuse a pending request with a reason the dealer sees; rejecting twice changes nothing."""
    _may_decide(by)
    reason = (reason or "").strip()
    if not reason:
        raise DealerError("no_reason", _("Say why the request is rejected."))
    with transaction.atomic():
        req = TopUpRequest.objects.select_for_update().get(pk=request_id)
        if req.state == TopUpRequest.State.REJECTED:
            return req
        if req.state != TopUpRequest.State.PENDING:
            raise DealerError("already_decided", _("This request was already confirmed."))
        req.state, req.reason = TopUpRequest.State.REJECTED, reason[:255]
        req.decided_by, req.decided_at = by, timezone.now()
        req.save(update_fields=["state", "reason", "decided_by", "decided_at"])
        _audit(by, "dealer_topup_reject", request=req.pk, dealer=req.dealer_id, reason=reason)
    return req


# -- low-balance threshold -----------------------------------------------------------------------
# The threshold lives here (BalanceAlert.threshold, set in the cabinet); the alert itself, its
# opening once per crossing and its e-mail, is the alerts app's `balance_low` (alerts/services.py).
def balance_alert_set(*, dealer: Dealer, threshold, by=None) -> BalanceAlert:
    """Set the dealer's threshold (0 turns the alert off); the alert is re-judged once this commits."""
    try:
        threshold = Decimal(str(threshold))
    except ArithmeticError as exc:
        raise DealerError("bad_amount", _("Enter an amount in rubles, e.g. 1000.00.")) from exc
    if not threshold.is_finite() or threshold < 0 or threshold != threshold.quantize(Decimal("0.01")):
        raise DealerError("bad_amount", _("Enter zero or a positive amount with at most two decimals."))
    with transaction.atomic():
        alert, _created = BalanceAlert.objects.update_or_create(dealer=dealer, defaults={"threshold": rub(threshold)})
        _audit(by, "dealer_alert_threshold", dealer=dealer.pk, threshold=threshold)
        balance_changed.send(sender=Dealer, dealer_ids=[dealer.pk])
    return alert


def _default_threshold() -> Decimal | None:
    raw = settings.KIT_ALERT_BALANCE_THRESHOLD
    if not raw:
        return None
    try:
        return rub(raw)
    except MoneyError:
        log.error("KIT_ALERT_BALANCE_THRESHOLD=%r is not an amount", raw)
        return None


def threshold_effective(own: Decimal | None) -> Decimal | None:
    """The threshold in force given the dealer's own (None: never set): own, else
    KIT_ALERT_BALANCE_THRESHOLD; None when there is none or it is 0 (the alert is off)."""
    threshold = own if own is not None else _default_threshold()
    return threshold if threshold is not None and threshold > 0 else None


def balance_thresholds_own() -> dict[int, Decimal]:
    """dealer id -> its own threshold, for every dealer that set one (one query, for the sweep)."""
    return dict(BalanceAlert.objects.values_list("dealer_id", "threshold"))


def balance_threshold(dealer: Dealer) -> Decimal | None:
    """The dealer's threshold in force (see threshold_effective); None: no low-balance alert."""
    own = BalanceAlert.objects.filter(dealer_id=dealer.pk).values_list("threshold", flat=True).first()
    return threshold_effective(own)


def balance_is_low(dealer: Dealer) -> bool:
    """The cabinet's banner: the available balance is below the dealer's threshold now."""
    threshold = balance_threshold(dealer)
    return threshold is not None and dealer.balance + dealer.credit_limit < threshold


# -- sub-agents, their rates and users (the cabinet) ---------------------------------------------
AGENT_FIELDS = ("name", "inn", "contact", "support_phone", "time_zone")


def agent_create(*, parent: Dealer, by=None, **fields) -> Dealer:
    """A sub-agent under `parent`; its credit limit is 0 (only admins change it, in the admin)."""
    data = {k: fields.get(k, "") for k in AGENT_FIELDS if k in fields}
    with transaction.atomic():
        agent = dealer_create(parent=parent, credit_limit=ZERO, **data)
        _audit(by, "dealer_agent_create", agent=agent.pk, parent=parent.pk, name=agent.name)
    return agent


def agent_update(*, agent: Dealer, by=None, **fields) -> Dealer:
    """Change a sub-agent's name, INN, contacts, cheque phone or time zone (never its limit or balance)."""
    changed = [k for k in AGENT_FIELDS if k in fields and getattr(agent, k) != fields[k]]
    with transaction.atomic():
        for k in changed:
            setattr(agent, k, fields[k])
        if changed:
            agent.save(update_fields=changed)
            _audit(by, "dealer_agent_update", agent=agent.pk, fields=",".join(changed))
    return agent


def _deactivation_reason(agent: Dealer) -> str:
    return f"dealer {agent.pk} deactivated"


def agent_set_active(*, agent: Dealer, active: bool, by=None) -> Dealer:
    """Deactivate (or reactivate) a sub-agent.

    Deactivating blocks every active terminal of its subtree, so their payments are recorded as
    `held` (terminal_blocked) as a blocked terminal's are; reactivating unblocks exactly the
    terminals this deactivation blocked, and their held payments resume. Twice is a no-op.
    """
    from terminals import services as terminal_services
    from terminals.models import Terminal, TerminalAudit

    reason = _deactivation_reason(agent)
    with transaction.atomic():
        if not Dealer.objects.filter(pk=agent.pk, is_active=not active).update(is_active=active):
            agent.is_active = active
            return agent
        agent.is_active = active
        terminals = Terminal.objects.filter(dealer__path__startswith=agent.path).order_by("pk")
        if not active:
            for terminal in terminals.filter(status=Terminal.Status.ACTIVE):
                terminal_services.terminal_block(terminal=terminal, by=by, reason=reason)
        else:
            for terminal in terminals.filter(status=Terminal.Status.BLOCKED):
                last = TerminalAudit.objects.filter(terminal=terminal, action__in=["block", "unblock"]).first()
                if last is not None and last.action == "block" and last.detail.get("reason") == reason:
                    terminal_services.terminal_unblock(terminal=terminal, by=by)
        _audit(by, "dealer_agent_active" if active else "dealer_agent_inactive", agent=agent.pk)
    return agent


def agent_inactive_above(dealer: Dealer) -> Dealer | None:
    """The dealer itself or its nearest ancestor that is deactivated, if any (unblocking waits for it)."""
    ids = [int(x) for x in dealer.path.strip("/").split("/") if x]
    return Dealer.objects.filter(pk__in=ids, is_active=False).order_by("-path").first()


def agent_rate_set(*, agent: Dealer, provider, percent, fixed, by=None, now=None):
    """Set a sub-agent's reward rate for a provider from now on (the current one is closed now).

    Its percent and its fixed part may each not exceed its parent's effective rate now.
    """
    from django.core.exceptions import ValidationError

    from providers import services as provider_services
    from providers.models import RewardRule
    from providers.selectors import RewardRate, reward_rates

    if agent.parent_id is None:
        raise DealerError("root_dealer", _("A root dealer's rates are set by the administrators."))
    try:
        percent, fixed = Decimal(str(percent)), Decimal(str(fixed or "0"))
    except ArithmeticError as exc:
        raise DealerError("bad_rate", _("Enter the percent and the fixed part as numbers.")) from exc
    if not (percent.is_finite() and fixed.is_finite()) or percent < 0 or fixed < 0 or percent > 100:
        raise DealerError("bad_rate", _("The percent is from 0 to 100 and the fixed part is not negative."))
    if percent != percent.quantize(Decimal("0.001")) or fixed != fixed.quantize(Decimal("0.01")):
        raise DealerError("too_many_decimals", _("At most three decimals in the percent and two in the fixed part."))
    now = now or timezone.now()
    parent = Dealer.objects.get(pk=agent.parent_id)
    from providers.selectors import snapshot_load

    snap = snapshot_load()  # fresh: the rate the parent has right now, not a cached one
    parent_rate = (reward_rates(provider_id=provider.pk, dealer=parent, at=now, snap=snap)[-1][1]
                   or RewardRate(ZERO, ZERO))
    if percent > parent_rate.percent or fixed > parent_rate.fixed:
        raise DealerError("above_parent", _("The rate may not exceed %(parent)s's own: %(percent)s%% + %(fixed)s RUB.")
                          % {"parent": parent.name, "percent": parent_rate.percent.normalize(),
                             "fixed": parent_rate.fixed})
    with transaction.atomic():
        current = (RewardRule.objects.select_for_update().filter(provider=provider, dealer=agent)
                   .exclude(valid_to__lte=now).order_by("valid_from"))
        try:
            for rule in current:
                if rule.valid_from > now:
                    rule.delete()  # never in force: replaced outright
                else:
                    provider_services.rule_close(rule=rule, at=now, actor=getattr(by, "username", ""))
            rule = provider_services.rule_save(
                rule=RewardRule(provider=provider, dealer=agent, percent=percent, fixed=rub(fixed), valid_from=now),
                actor=getattr(by, "username", ""))
        except ValidationError as exc:
            raise DealerError("rule_clash", " ".join(exc.messages)) from exc
        _audit(by, "dealer_agent_rate", agent=agent.pk, provider=provider.code, percent=percent, fixed=fixed)
    return rule


def dealer_user_create(*, dealer: Dealer, username: str, email: str, password: str, role: str, by=None):
    """A cabinet user of `dealer` with a role (dealer admin or viewer); refuses a username in use."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from kit.roles import DEALER

    if role not in DealerUser.Role.values:
        raise DealerError("bad_role", _("Choose a role."))
    User = get_user_model()
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, email=email, password=password)
            group, _created = Group.objects.get_or_create(name=DEALER)
            user.groups.add(group)
            link = DealerUser.objects.create(user=user, dealer=dealer, role=role)
            _audit(by, "dealer_user_create", dealer=dealer.pk, user=username, role=role)
    except IntegrityError as exc:
        raise DealerError("username_taken", _("This username is already taken.")) from exc
    return link


def dealer_user_set_active(*, link: DealerUser, active: bool, by=None) -> DealerUser:
    """Deactivate (or reactivate) a cabinet user: an inactive user's sessions stop working at once."""
    from django.contrib.auth import get_user_model

    if by is not None and link.user_id == by.pk and not active:
        raise DealerError("self", _("You cannot deactivate yourself."))
    with transaction.atomic():
        if get_user_model().objects.filter(pk=link.user_id, is_active=not active).update(is_active=active):
            _audit(by, "dealer_user_active" if active else "dealer_user_inactive", user=link.user.username)
    link.user.is_active = active
    return link
