"""Cabinet encashments: the list with its differences and export, a page per collection, the bank's count."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kit.money import rub
from terminals import encashments as service

from .. import exports
from ..access import access_encashment, scope_encashments, scope_terminals
from .base import cabinet_view, query_without
from .filters import PeriodForm

PAGE = 50


class EncashmentFilterForm(PeriodForm):
    terminal = forms.ModelChoiceField(label=gettext_lazy("Terminal"), queryset=None, required=False)

    def __init__(self, *args, dealer, **kwargs):
        super().__init__(*args, **kwargs)
        self.dealer = dealer
        self.fields["terminal"].queryset = scope_terminals(dealer).order_by("number")

    def queryset(self, tz):
        qs = scope_encashments(self.dealer)
        start, end = self.period(tz)
        if start:
            qs = qs.filter(closed_at__gte=start)
        if end:
            qs = qs.filter(closed_at__lt=end)
        if self.cleaned_data.get("terminal"):
            qs = qs.filter(terminal=self.cleaned_data["terminal"])
        return qs


class CountedForm(forms.Form):
    counted = forms.DecimalField(label=gettext_lazy("Cash counted at the bank"), max_digits=14, decimal_places=2,
                                 min_value=0)


def _rows(qs):
    """Encashments with their figures: recorded cash, difference, linked/pending, bank count and its difference."""
    rows = []
    for e in service.encashments_annotated(qs.select_related("terminal", "terminal__dealer")):
        e.recorded = rub(e.recorded)  # SQLite's SUM drops the trailing zeros
        e.difference = e.total - e.recorded
        e.counted_difference = None if e.counted_amount is None else e.counted_amount - e.total
        rows.append(e)
    return rows


def _export(request, qs):
    header = [_("Number"), _("Opened"), _("Closed"), _("Terminal"), _("Dealer"), _("Notes"), _("Notes total"),
              _("Recorded cash"), _("Notes − recorded"), _("Linked payments"), _("Pending transactions"),
              _("Counted at the bank"), _("Counted − notes")]

    def local(dt):
        return dt.astimezone(request.tz).strftime("%Y-%m-%d %H:%M:%S")

    def gen():
        for e in _rows(qs.order_by("-closed_at", "-id")):
            notes = ", ".join(f"{face}×{n}" for face, n, _sum in service.notes_lines(e))
            yield (e.pk, local(e.opened_at), local(e.closed_at), e.terminal.number, e.terminal.dealer.name, notes,
                   e.total, e.recorded, e.difference, e.linked, e.pending,
                   "" if e.counted_amount is None else e.counted_amount,
                   "" if e.counted_difference is None else e.counted_difference)

    if request.GET.get("format") == "xlsx":
        return exports.xlsx_response(header, gen(), "encashments")
    return exports.csv_response(header, gen(), "encashments")


@cabinet_view
def encashment_list(request):
    form = EncashmentFilterForm(request.GET, dealer=request.dealer)
    if not form.is_valid():
        return render(request, "terminals/cabinet_encashments.html", {"form": form}, status=400)
    qs = form.queryset(request.tz)
    if request.GET.get("format") in ("csv", "xlsx"):
        return _export(request, qs)
    before = request.GET.get("before", "")
    page_qs = qs.order_by("-id")
    if before.isdigit() and len(before) <= 18:
        page_qs = page_qs.filter(id__lt=int(before))
    rows = _rows(page_qs[:PAGE + 1])
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return render(request, "terminals/cabinet_encashments.html", {
        "form": form, "encashments": rows, "next_before": rows[-1].pk if more else None,
        "query": query_without(request, "before", "format"), "first_page": before.isdigit(),
    })


def _encashment_page(request, encashment, *, counted_form=None, status=200):
    # Payments that arrived after the encashment are linked now, not only by the next beat run.
    service.encashment_links_sweep(encashment_id=encashment.pk)
    txns = list(encashment.txns.select_related("payment", "payment__provider").order_by("id"))
    return render(request, "terminals/cabinet_encashment.html", {
        "e": encashment,
        "figures": service.reconciliation(encashment),
        "lines": service.notes_lines(encashment),
        "previous": service.previous_encashment(encashment),
        "linked": [t.payment for t in txns if t.payment_id],
        "pending": [t.txn for t in txns if not t.payment_id],
        "counted_form": counted_form or CountedForm(initial={"counted": encashment.counted_amount}),
    }, status=status)


@cabinet_view
def encashment_detail(request, pk: int):
    return _encashment_page(request, access_encashment(request.dealer, pk))


@cabinet_view
@require_POST
def encashment_count(request, pk: int):
    encashment = access_encashment(request.dealer, pk)
    form = CountedForm(request.POST)
    if not form.is_valid():
        return _encashment_page(request, encashment, counted_form=form, status=400)
    service.encashment_counted_set(encashment=encashment, amount=form.cleaned_data["counted"], by=request.user)
    messages.success(request, _("The counted cash is saved."))
    return redirect("cabinet:encashment", pk=encashment.pk)
