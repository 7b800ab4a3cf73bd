"""Cabinet reads: terminals' live state and what needs attention, held payments, the overview."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, OuterRef, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kit.money import ZERO
from payments.errors import Reason
from payments.models import Payment, Status

from ..access import scope_dealers, scope_payments, scope_terminals
from ..models import Dealer

CASH_BOX_FULL = Decimal("0.9")
DEVICE_OK = {"", "ok", "idle", "ready", None}


@dataclass
class TerminalView:
    terminal: object
    online: bool
    since: datetime | None
    problems: list[str] = field(default_factory=list)
    last_payment_at: datetime | None = None
    capacity: int | None = None

    @property
    def state(self):
        return getattr(self.terminal, "live", None)


def _capacity(devices: dict) -> int | None:
    for name in ("cash_box", "cassette", "bill_validator"):
        part = devices.get(name)
        if isinstance(part, dict) and isinstance(part.get("capacity"), int) and part["capacity"] > 0:
            return part["capacity"]
    return None


def terminal_view(terminal, now: datetime, last_payment_at=None) -> TerminalView:
    """Online/offline and since when, and what needs a person, from the last heartbeat."""
    offline_after = timedelta(minutes=settings.KIT_OFFLINE_MINUTES)
    seen = terminal.last_seen
    online = seen is not None and now - seen <= offline_after
    view = TerminalView(terminal=terminal, online=online, since=seen, last_payment_at=last_payment_at)
    if terminal.status == terminal.Status.BLOCKED:
        view.problems.append(_("blocked"))
    if seen is None:
        view.problems.append(_("no heartbeat yet"))
    elif not online:
        view.problems.append(_("offline"))
    try:
        state = terminal.live
    except ObjectDoesNotExist:  # never reported a heartbeat
        state = None
    if state is not None:
        devices = state.devices or {}
        validator = devices.get("bill_validator") or {}
        if isinstance(validator, dict) and (validator.get("error") or validator.get("state") not in DEVICE_OK):
            view.problems.append(_("bill validator: %(error)s") % {
                "error": validator.get("error") or validator.get("state")})
        printer = devices.get("printer") or {}
        if isinstance(printer, dict):
            paper = str(printer.get("paper") or "").lower()
            if paper in {"out", "none", "empty", "no_paper"} or printer.get("state") == "no_paper":
                view.problems.append(_("printer: out of paper"))
            elif paper == "low":
                view.problems.append(_("printer: paper low"))
            elif printer.get("error") or printer.get("state") not in DEVICE_OK:
                view.problems.append(_("printer: %(error)s") % {"error": printer.get("error") or printer.get("state")})
        view.capacity = _capacity(devices)
        if view.capacity and state.cash_notes >= CASH_BOX_FULL * view.capacity:
            view.problems.append(_("cash box %(pct)s%% full") % {"pct": state.cash_notes * 100 // view.capacity})
    return view


def terminals_live(dealer: Dealer, *, q: str = "", sort: str = "number", only_attention: bool = False):
    """Every terminal of the subtree with its live state and last payment, filtered and sorted."""
    now = timezone.now()
    last = Payment.objects.filter(terminal=OuterRef("pk")).order_by("-id").values("received_at")[:1]
    qs = (scope_terminals(dealer).select_related("dealer", "live")
          .annotate(last_payment_at=Subquery(last)))
    if q:
        qs = qs.filter(number__icontains=q) | qs.filter(address__icontains=q)
    order = {"number": "number", "address": "address", "seen": "-last_seen", "dealer": "dealer__name"}
    qs = qs.order_by(order.get(sort, "number"), "number")
    views = [terminal_view(t, now, t.last_payment_at) for t in qs]
    if only_attention:
        views = [v for v in views if v.problems]
    return views


def held_for_balance(dealer: Dealer) -> list[dict]:
    """Per dealer of the subtree: payments held for low balance, their sum, and what releases them."""
    rows = (scope_payments(dealer).filter(status=Status.HELD, reason=Reason.INSUFFICIENT_BALANCE)
            .order_by().values("dealer_id").annotate(n=Count("id"), total=Sum("credited")))
    dealers = {d.pk: d for d in scope_dealers(dealer).filter(pk__in=[r["dealer_id"] for r in rows])}
    out = []
    for r in rows:
        d = dealers[r["dealer_id"]]
        available = d.balance + d.credit_limit
        out.append({"dealer": d, "count": r["n"], "total": r["total"] or ZERO,
                    "needed": max(ZERO, (r["total"] or ZERO) - available)})
    return out
