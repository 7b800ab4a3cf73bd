"""Compare a gateway's registry of a day with our attempts: pure, given the rows and ours.

Our side is the attempts at the gateway. A registry row is matched to ours by its key (our
attempt id); a key is looked up regardless of the day, so a payment sent at 23:59:59 and
booked by the gateway at 00:00:01 is not reported missing on our side.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from payments.models import Attempt, Payment

from .models import Discrepancy
from .registry import PAID, Row

Kind = Discrepancy.Kind
OK = "ok"


@dataclass
class Finding:
    kind: str
    key: str
    account: str = ""
    our_amount: Decimal | None = None
    our_status: str = ""
    their_amount: Decimal | None = None
    their_status: str = ""
    upstream_id: str = ""
    payment_id: int | None = None
    detail: dict = field(default_factory=dict)


@dataclass
class Outcome:
    findings: dict[tuple[str, str], Finding]
    their_count: int
    their_paid_total: Decimal
    our_count: int
    our_paid_total: Decimal
    matched_count: int


def _succeeded(a: Attempt | None) -> bool:
    return a is not None and a.state == Attempt.State.CLOSED and a.outcome == OK


def _finding(kind: str, row: Row | None, a: Attempt | None, **detail) -> Finding:
    f = Finding(kind=kind, key=row.key if row else a.attempt_id, detail=detail)
    if row is not None:
        f.account, f.their_amount, f.their_status, f.upstream_id = row.account, row.amount, row.status, row.upstream_id
    if a is not None:
        p: Payment = a.payment
        f.payment_id = p.pk
        f.account = f.account or p.account
        f.our_amount, f.our_status = p.credited, p.status
        f.detail.update(attempt_state=a.state, attempt_outcome=a.outcome or "", payment_status=p.status)
    return f


def _duplicate_keys(rows: dict[str, Row], ours: dict[str, Attempt]) -> dict[str, dict]:
    """Keys of paid rows repeating an account + amount paid under another key, where we
    have fewer payments than they have rows (the customer's money credited twice)."""
    groups: dict[tuple[str, Decimal], list[Row]] = defaultdict(list)
    for row in rows.values():
        if row.status == PAID:
            groups[(row.account, row.amount)].append(row)
    dups: dict[str, dict] = {}
    for group in groups.values():
        if len(group) < 2:
            continue
        # The row we consider the original: the one our successful attempt matches, then the earliest.
        group.sort(key=lambda r: (not _succeeded(ours.get(r.key)), r.key not in ours, r.created_at, r.line))
        keys = [r.key for r in group]
        seen_payments: set[int] = set()
        have_ours = any(r.key in ours for r in group)
        for row in group:
            a = ours.get(row.key)
            if a is None:
                if have_ours:
                    dups[row.key] = {"same_as": keys[0], "keys": keys}
            elif a.payment_id in seen_payments:
                dups[row.key] = {"same_as": keys[0], "keys": keys}
            else:
                seen_payments.add(a.payment_id)
    return dups


def compare(rows: list[Row], ours: dict[str, Attempt], our_day: list[Attempt], *,
            booked_next_day: frozenset[str] = frozenset()) -> Outcome:
    """`ours`: our attempts at the gateway by key, for the registry's keys; `our_day`: our
    successful attempts at the gateway started that day; `booked_next_day`: keys of ours the
    gateway booked just after midnight (compared in the next day's run, not missing here)."""
    findings: dict[tuple[str, str], Finding] = {}

    def add(f: Finding) -> None:
        findings.setdefault((f.kind, f.key), f)

    by_key: dict[str, Row] = {}
    lines: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        lines[row.key].append(row.line)
        first = by_key.get(row.key)
        if first is None or (first.status != PAID and row.status == PAID):
            by_key[row.key] = row

    for key, seen in lines.items():
        if len(seen) > 1:
            add(_finding(Kind.DUPLICATE_THEIRS, by_key[key], ours.get(key), lines=seen))

    dups = _duplicate_keys(by_key, ours)
    matched = 0
    for key, row in by_key.items():
        a = ours.get(key)
        if key in dups:
            add(_finding(Kind.DUPLICATE_THEIRS, row, a, **dups[key]))
        elif row.status == PAID:
            if a is None:
                add(_finding(Kind.MISSING_OURS, row, None))
            elif not _succeeded(a) or a.payment.status != Payment.Status.SUCCEEDED:
                add(_finding(Kind.STATUS_DIFFERS, row, a))
            elif row.amount != a.payment.credited:
                add(_finding(Kind.AMOUNT_DIFFERS, row, a))
            else:
                matched += 1
        elif _succeeded(a):
            # They declined it or still have it pending; we recorded their "ok".
            add(_finding(Kind.STATUS_DIFFERS, row, a))

    for a in our_day:
        if a.attempt_id not in by_key and a.attempt_id not in booked_next_day:
            add(_finding(Kind.MISSING_THEIRS, None, a))

    return Outcome(
        findings=findings,
        their_count=len(rows),
        their_paid_total=sum((r.amount for r in rows if r.status == PAID), Decimal("0.00")),
        our_count=len(our_day),
        our_paid_total=sum((a.payment.credited for a in our_day), Decimal("0.00")),
        matched_count=matched,
    )
