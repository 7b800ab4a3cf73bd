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
_LEAN_SQL: dict[tuple[bool, bool], str] = {}


def _lean_sql(joined: bool, attempt: bool = False) -> str:
    sql = _LEAN_SQL.get((joined, attempt))
    if sql is None:
        from dealers.models import Dealer
        from gateways.models import GatewayHealth
        from kit import rows
        from terminals.models import Terminal

        from .models import Attempt

        p, d, t = rows.shape(Payment), rows.shape(Dealer), rows.shape(Terminal)
        a, h = rows.shape(Attempt), rows.shape(GatewayHealth)
        cols = p.columns("p")
        joins = ""
        if joined:
            cols += f", d.{d.by_name['path'].column}, t.{t.by_name['number'].column}, t.{t.by_name['status'].column}"
            joins += (f" JOIN {d.table} d ON d.{d.pk_column} = p.{p.by_name['dealer_id'].column}"
                      f" JOIN {t.table} t ON t.{t.pk_column} = p.{p.by_name['terminal_id'].column}")
        if attempt:
            cols += f", {a.columns('a')}, {h.columns('h')}"
            joins += (f" JOIN {a.table} a ON a.{a.pk_column} = %s"
                      f" AND a.{a.by_name['payment_id'].column} = p.{p.pk_column}"
                      f" LEFT JOIN {h.table} h ON h.{h.by_name['gateway_id'].column} = a.{a.by_name['gateway_id'].column}")
        sql = f"SELECT {cols} FROM {p.table} p{joins} WHERE p.{p.pk_column} = %s"  # noqa: S608 - names from the models
        sql += rows.lock_clause(of=("p", "a") if attempt else "p")
        _LEAN_SQL[(joined, attempt)] = sql
    return sql


def lock_payment_lean(payment_id: int, *, joined: bool = True) -> Payment:
    """lock_payment for the engine's hot path: Payment.DoesNotExist when there is no such payment.

    `joined`: `payment.dealer` (id, path), `payment.terminal` (id, number, status) and
    `payment.provider` (id) come as partly-loaded instances; without it nothing is joined.
    """
    from kit import rows

    found = rows.fetch(Payment, _lean_sql(joined), [payment_id])
    if not found:
        raise Payment.DoesNotExist(f"payment {payment_id}")
    if not joined:
        return found[0]
    payment, extra = found[0]
    _attach(payment, extra)
    return payment


def lock_payment_and_attempt(payment_id: int, attempt_pk: int):
    """The engine's record step: the payment as `lock_payment_lean` gives it, one of its attempts and that
    attempt's gateway's breaker row, both rows locked, in one statement. Returns (payment, attempt,
    health or None); Payment.DoesNotExist / Attempt.DoesNotExist when either is missing."""
    from gateways.models import GatewayHealth
    from kit import rows

    from .models import Attempt

    found = rows.fetch(Payment, _lean_sql(True, attempt=True), [attempt_pk, payment_id])
    if not found:
        lock_payment_lean(payment_id)  # raises when the payment is missing
        raise Attempt.DoesNotExist(f"attempt {attempt_pk} of payment {payment_id}")
    payment, extra = found[0]
    _attach(payment, extra[:3])
    na = len(rows.shape(Attempt).fields)
    attempt = rows.build(Attempt, extra[3:3 + na])
    health = extra[3 + na:]
    return payment, attempt, rows.build(GatewayHealth, health) if health[0] is not None else None


def _attach(payment: Payment, extra) -> None:
    """The partly-loaded dealer, terminal and provider the joined lock brings."""
    from dealers.models import Dealer
    from providers.models import Provider
    from terminals.models import Terminal

    path, number, status = extra
    f = Payment._meta.get_field
    f("dealer").set_cached_value(payment, Dealer.from_db("default", ["id", "path"], [payment.dealer_id, path]))
    f("terminal").set_cached_value(payment, Terminal.from_db("default", ["id", "number", "status"],
                                                             [payment.terminal_id, number, status]))
    if payment.provider_id is not None:
        f("provider").set_cached_value(payment, Provider.from_db("default", ["id"], [payment.provider_id]))
