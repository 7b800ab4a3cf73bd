"""Support's reads: payments by the keys on a cheque, a payment's whole story, the queue, the audit.

Every query here has an index made for it; payments/models.py says which serves which.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from dealers.models import LedgerEntry
from payments.errors import Reason
from payments.models import SUPPORT_QUEUE, Attempt, Event, Payment
from providers.selectors import phone_normalize
from support.models import AuditEntry
from terminals.models import Terminal

# A search never lists more than this; more hits mean the operator should narrow it.
HITS = 50

# The queue: what waits for a person. The same Q is the condition of the partial index
# payment_queue_idx, so PostgreSQL can prove a queue query may use that index.
QUEUE_PROCESSING_REASONS = (Reason.OUTCOME_UNKNOWN, Reason.GATEWAY_CONFIG, Reason.NO_GATEWAY_AVAILABLE)


def queue_condition() -> Q:
    return SUPPORT_QUEUE


# A gateway's secrets are decrypted when its row is loaded: the console never needs them.
GATEWAY_SECRETS = ("secret", "private_key", "peer_public_key")


def _payments() -> QuerySet[Payment]:
    return Payment.objects.select_related("terminal", "dealer", "provider", "gateway").defer(
        *(f"gateway__{name}" for name in GATEWAY_SECRETS))


def _terminal_id(number: str) -> int | None:
    return Terminal.objects.filter(number=number).values_list("pk", flat=True).first()


def payments_by_txn(*, terminal: str, txn: str) -> list[Payment]:
    """The cheque's primary key: unique (terminal, txn), so at most one."""
    tid = _terminal_id(terminal)
    if tid is None:
        return []
    return list(_payments().filter(terminal_id=tid, txn=txn))


def payments_by_cheque(*, cheque: str) -> list[Payment]:
    return list(_payments().filter(cheque_number=cheque).order_by("-id")[:HITS])


def payments_by_attempt(*, attempt: str) -> list[Payment]:
    """Our attempt id or the gateway's own transaction id (what a gateway's support quotes back)."""
    ids = set(Attempt.objects.filter(attempt_id=attempt).values_list("payment_id", flat=True))
    ids |= set(Attempt.objects.filter(upstream_id=attempt).values_list("payment_id", flat=True)[:HITS])
    return list(_payments().filter(pk__in=ids).order_by("-id")[:HITS])


def account_variants(account: str) -> list[str]:
    """The forms one account may be stored in: a phone in any notation becomes all of
    9161234567, 79161234567, 89161234567, +79161234567 (terminals send what the customer typed)."""
    account = account.strip()
    ten = phone_normalize(account)
    if ten is None:
        return [account]
    return sorted({account, ten, "7" + ten, "8" + ten, "+7" + ten})


def payments_by_account(*, account: str, start: datetime | None, end: datetime | None) -> list[Payment]:
    qs = _payments().filter(account__in=account_variants(account))
    if start:
        qs = qs.filter(paid_at__gte=start)
    if end:
        qs = qs.filter(paid_at__lt=end)
    return list(qs.order_by("-paid_at", "-id")[:HITS])


def payments_by_amount(*, terminal: str, amount: Decimal, start: datetime, end: datetime) -> list[Payment]:
    tid = _terminal_id(terminal)
    if tid is None:
        return []
    qs = _payments().filter(terminal_id=tid, paid_at__gte=start, paid_at__lt=end, amount=amount)
    return list(qs.order_by("-paid_at", "-id")[:HITS])


def payments_by_text(text: str) -> list[Payment]:
    """What an operator typed into the one search box, read every way it could be meant.

    "1001/42", "1001 42" or "1001-42": terminal and txn (also the cheque number as printed);
    a phone in any notation: the account; digits: also our attempt id or the gateway's id;
    anything else: the gateway's id, the cheque number or the account as it is.
    """
    text = " ".join(text.split())
    found: dict[int, Payment] = {}

    def add(payments):
        for p in payments:
            found.setdefault(p.pk, p)

    parts = text.replace("/", " ").replace("-", " ", 1).split(" ") if text else []
    if len(parts) == 2 and parts[0].isdigit() and parts[1]:
        add(payments_by_txn(terminal=parts[0], txn=parts[1]))
    if text:
        add(payments_by_cheque(cheque=text))
        add(payments_by_attempt(attempt=text))
        add(payments_by_account(account=text, start=None, end=None))
    return sorted(found.values(), key=lambda p: -p.pk)[:HITS]


# --- one payment -------------------------------------------------------------------


def payment_get(pk: int) -> Payment | None:
    return _payments().filter(pk=pk).first()


@dataclass(frozen=True)
class Story:
    events: list[Event]
    attempts: list[Attempt]
    ledger: list[LedgerEntry]
    audit: list[AuditEntry]


def payment_story(payment: Payment) -> Story:
    """Everything that happened to a payment, oldest first."""
    return Story(
        events=list(Event.objects.filter(payment=payment).select_related("user").order_by("id")),
        attempts=list(Attempt.objects.filter(payment=payment).select_related("gateway")
                      .defer(*(f"gateway__{name}" for name in GATEWAY_SECRETS)).order_by("id")),
        ledger=list(LedgerEntry.objects.filter(payment=payment).select_related("dealer").order_by("id")),
        audit=list(AuditEntry.objects.filter(payment=payment).select_related("user").order_by("id")),
    )


# --- the queue ---------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    reason: str = ""
    gateway_id: int | None = None
    provider_id: int | None = None
    dealer_id: int | None = None
    older_than: datetime | None = None  # received before this


def queue_queryset(f: QueueFilter) -> QuerySet[Payment]:
    qs = Payment.objects.filter(queue_condition())
    if f.reason:
        qs = qs.filter(reason=f.reason)
    if f.gateway_id:
        qs = qs.filter(gateway_id=f.gateway_id)
    if f.provider_id:
        qs = qs.filter(provider_id=f.provider_id)
    if f.dealer_id:
        qs = qs.filter(dealer_id=f.dealer_id)
    if f.older_than:
        qs = qs.filter(received_at__lt=f.older_than)
    return qs


QUEUE_COLUMNS = ("id", "received_at", "status", "reason", "txn", "account", "amount", "provider_code",
                 "terminal__number", "provider__name", "gateway__name", "dealer__name")


def queue_page(f: QueueFilter, *, after: tuple[datetime, int] | None = None, size: int = 50
               ) -> tuple[list[dict], tuple[datetime, int] | None]:
    """One page of the queue, oldest first, after the keyset cursor `after` (received_at, id).

    Rows are plain dicts of QUEUE_COLUMNS: the busiest page of the console builds no model
    instances. Returns (rows, cursor of the next page or None). No OFFSET: a page deep in the
    queue costs what the first one does.
    """
    qs = queue_queryset(f)
    if after is not None:
        at, pk = after
        # The >= bound is what the index range scan starts from; the OR only drops the ties already shown.
        qs = qs.filter(received_at__gte=at).filter(Q(received_at__gt=at) | Q(pk__gt=pk))
    rows = list(qs.order_by("received_at", "id").values(*QUEUE_COLUMNS)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, ((rows[-1]["received_at"], rows[-1]["id"]) if more else None)


def queue_counts() -> list[tuple[str, str, int]]:
    """[(status, reason, count)] over the whole queue, largest first."""
    rows = (Payment.objects.filter(queue_condition()).values("status", "reason").order_by()
            .annotate(n=Count("id")))
    return sorted(((r["status"], r["reason"], r["n"]) for r in rows), key=lambda r: (-r[2], r[0], r[1]))


# --- the audit ---------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    user_id: int | None = None
    action: str = ""
    start: datetime | None = None
    end: datetime | None = None
    payment_id: int | None = None


def audit_page(f: AuditFilter, *, before: int | None = None, size: int = 50) -> tuple[list[AuditEntry], int | None]:
    """Newest first, keyset by id: (rows, the id to pass as `before` for the next page, or None)."""
    qs = AuditEntry.objects.select_related("user", "payment", "payment__terminal")
    if f.user_id:
        qs = qs.filter(user_id=f.user_id)
    if f.action:
        qs = qs.filter(action=f.action)
    if f.start:
        qs = qs.filter(created_at__gte=f.start)
    if f.end:
        qs = qs.filter(created_at__lt=f.end)
    if f.payment_id:
        qs = qs.filter(payment_id=f.payment_id)
    if before:
        qs = qs.filter(pk__lt=before)
    rows = list(qs.order_by("-id")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, (rows[-1].pk if more else None)
