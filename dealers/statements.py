"""The monthly statement (акт сверки) of one dealer: every movement of the month by kind, from the ledger.

The month is the dealer's own calendar month (its time zone): a document for two parties, the
same whoever looks at it. Opening is the ledger's sum before the month, each line the ledger's
sum of its kinds within it, closing = opening + lines; `ledger_closing` is the balance the
ledger itself recorded after the month's last entry, shown beside it as the check.
"""

import io
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kit.money import ZERO, rub

from .models import Dealer, LedgerEntry

K = LedgerEntry.Kind
# line code, label, ledger kinds (in the statement's order); kinds not listed go to "other".
LINES = [
    ("topups", gettext_lazy("Top-ups"), [K.TOPUP]),
    ("transfers_in", gettext_lazy("Transfers received"), [K.TRANSFER_IN]),
    ("transfers_out", gettext_lazy("Transfers sent"), [K.TRANSFER_OUT]),
    ("payments", gettext_lazy("Payments debited"), [K.PAYMENT_DEBIT]),
    ("refunds", gettext_lazy("Refunds of failed payments"), [K.PAYMENT_CREDIT]),
    ("rewards", gettext_lazy("Rewards"), [K.REWARD]),
    ("adjustments", gettext_lazy("Adjustments"), [K.ADJUSTMENT]),
]


@dataclass
class Statement:
    dealer: Dealer
    month: date            # the first day
    start: datetime
    end: datetime
    opening: Decimal
    lines: list[tuple[str, str, Decimal]]
    closing: Decimal
    ledger_closing: Decimal
    entries: int

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(days=1)).date()

    @property
    def title(self) -> str:
        return _("Statement of %(name)s for %(month)s") % {"name": self.dealer.name,
                                                          "month": self.month.strftime("%m.%Y")}


def _sum(qs) -> Decimal:
    value = qs.order_by().aggregate(s=Sum("amount"))["s"]
    # SQLite sums decimals as floats: read through the text and round once.
    return rub(str(value)) if value is not None else ZERO


def month_bounds(month: date, tz) -> tuple[datetime, datetime]:
    start = datetime(month.year, month.month, 1, tzinfo=tz)
    nxt = datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=tz)
    return start, nxt


def statement_build(*, dealer: Dealer, month: date) -> Statement:
    try:
        tz = zoneinfo.ZoneInfo(dealer.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("Europe/Moscow")
    month = month.replace(day=1)
    start, end = month_bounds(month, tz)
    ledger = LedgerEntry.objects.filter(dealer=dealer)
    within = ledger.filter(created_at__gte=start, created_at__lt=end)
    opening = _sum(ledger.filter(created_at__lt=start))
    lines, listed = [], []
    for code, label, kinds in LINES:
        lines.append((code, str(label), _sum(within.filter(kind__in=kinds))))
        listed.extend(kinds)
    other = _sum(within.exclude(kind__in=listed))
    if other:
        lines.append(("other", _("Other movements"), other))
    closing = opening + sum((t for _c, _l, t in lines), ZERO)
    last = ledger.filter(created_at__lt=end).order_by("-id").values_list("balance_after", flat=True).first()
    return Statement(dealer=dealer, month=month, start=start, end=end, opening=opening, lines=lines,
                     closing=closing, ledger_closing=last if last is not None else ZERO, entries=within.count())


def _money(amount: Decimal) -> str:
    return f"{number_format(amount, 2, use_l10n=True, force_grouping=True)} ₽"


def statement_pdf(st: Statement) -> bytes:
    from kit.pdf import new_document, render

    pdf = new_document()
    pdf.add_page()
    pdf.set_font("dejavu", "B", 14)
    pdf.multi_cell(0, 8, _("Statement of mutual settlements"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("dejavu", "", 11)
    d = st.dealer
    facts = [(_("Dealer"), d.name), (_("INN"), d.inn or "—"),
             (_("Period"), f"{st.start:%d.%m.%Y} – {st.last_day:%d.%m.%Y} ({d.time_zone})")]
    for label, value in facts:
        pdf.cell(45, 7, label)
        pdf.multi_cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    rows = [(_("Opening balance"), st.opening, True), *[(label, total, False) for _c, label, total in st.lines],
            (_("Closing balance"), st.closing, True)]
    for label, amount, bold in rows:
        pdf.set_font("dejavu", "B" if bold else "", 11)
        pdf.cell(120, 8, label, border=1)
        pdf.cell(60, 8, _money(amount), border=1, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("dejavu", "", 9)
    pdf.ln(3)
    pdf.multi_cell(0, 5, _("Ledger entries in the period: %(n)s. Balance recorded by the ledger after the last "
                           "of them: %(b)s.") % {"n": st.entries, "b": _money(st.ledger_closing)},
                   new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 5, _("Made by KIT on %(at)s.") % {"at": timezone.localtime().strftime("%d.%m.%Y %H:%M")},
                   new_x="LMARGIN", new_y="NEXT")
    return render(pdf)


def statement_xlsx(st: Statement) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = st.month.strftime("%Y-%m")
    ws.append([st.title])
    ws.append([_("INN"), st.dealer.inn])
    ws.append([])
    ws.append([_("Item"), _("Amount, RUB")])
    ws.append([_("Opening balance"), st.opening])
    for _code, label, total in st.lines:
        ws.append([label, total])
    ws.append([_("Closing balance"), st.closing])
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 18
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
