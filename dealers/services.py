"""Dealer operations: the tree and the ledger. The balance changes only here."""

from decimal import Decimal

from django.db import transaction
from django.db.models import F

from kit.money import rub

from .models import Dealer, LedgerEntry
from .signals import topped_up


class LedgerError(ValueError):
    pass


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
    return entry


def dealer_user_settings_set(*, link, time_zone: str, language: str):
    """A cabinet user's own time zone and language (blank: the dealer's zone, the site's language)."""
    link.time_zone = time_zone
    link.language = language
    link.save(update_fields=["time_zone", "language"])
    return link
