"""Row locks on payments. Order: payment before dealer; bulk locks by pk."""

from .models import Payment

JOINED = ("provider", "dealer", "terminal")


def lock_payment(payment_id: int, *, joined: bool = True) -> Payment:
    """Select the payment FOR UPDATE; the caller must be inside a transaction.

    `joined`: its provider, dealer and terminal come in the same statement (routing and the
    gateway order read all three); a caller that only records an answer passes False and
    loads one lazily in the rare path that needs it. Only the payment row is locked
    (`of=self`): the dealer row is locked, when a balance changes, by the ledger's own
    conditional UPDATE (the payment-before-dealer order holds).
    """
    qs = Payment.objects.select_for_update(of=("self",))
    return (qs.select_related(*JOINED) if joined else qs).get(pk=payment_id)


# The engine's own lock (submission, polling): the same rows as lock_payment with one statement
# whose text is built once (kit/rows.py), not compiled on every call. The joined variant brings
# what routing and the gateway order read: the dealer's path, the terminal's number and status;
# those instances (and the provider, by id) are partly loaded and fetch any other field on access.
_LEAN_SQL: dict[bool, str] = {}


def _lean_sql(joined: bool) -> str:
    sql = _LEAN_SQL.get(joined)
    if sql is None:
        from dealers.models import Dealer
        from kit import rows
        from terminals.models import Terminal

        p, d, t = rows.shape(Payment), rows.shape(Dealer), rows.shape(Terminal)
        if joined:
            sql = (f"SELECT {p.columns('p')}, d.{d.by_name['path'].column}, "  # noqa: S608 - names from the models
                   f"t.{t.by_name['number'].column}, t.{t.by_name['status'].column} FROM {p.table} p "
                   f"JOIN {d.table} d ON d.{d.pk_column} = p.{p.by_name['dealer_id'].column} "
                   f"JOIN {t.table} t ON t.{t.pk_column} = p.{p.by_name['terminal_id'].column} "
                   f"WHERE p.{p.pk_column} = %s")
        else:
            sql = f"SELECT {p.columns('p')} FROM {p.table} p WHERE p.{p.pk_column} = %s"  # noqa: S608
        sql += rows.lock_clause(of="p")
        _LEAN_SQL[joined] = sql
    return sql


def lock_payment_lean(payment_id: int, *, joined: bool = True) -> Payment:
    """lock_payment for the engine's hot path: Payment.DoesNotExist when there is no such payment.

    `joined`: `payment.dealer` (id, path), `payment.terminal` (id, number, status) and
    `payment.provider` (id) come as partly-loaded instances; without it nothing is joined.
    """
    from dealers.models import Dealer
    from kit import rows
    from providers.models import Provider
    from terminals.models import Terminal

    found = rows.fetch(Payment, _lean_sql(joined), [payment_id])
    if not found:
        raise Payment.DoesNotExist(f"payment {payment_id}")
    if not joined:
        return found[0]
    payment, (path, number, status) = found[0]
    f = Payment._meta.get_field
    f("dealer").set_cached_value(payment, Dealer.from_db("default", ["id", "path"], [payment.dealer_id, path]))
    f("terminal").set_cached_value(payment, Terminal.from_db("default", ["id", "number", "status"],
                                                             [payment.terminal_id, number, status]))
    if payment.provider_id is not None:
        f("provider").set_cached_value(payment, Provider.from_db("default", ["id"], [payment.provider_id]))
    return payment
