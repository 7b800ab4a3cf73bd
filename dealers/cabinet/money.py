"""Cabinet pages about money: payments, the ledger, reports, and their exports."""

from django.conf import settings
from django.db.models import Count, Sum
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kit.money import ZERO
from payments.errors import Reason
from payments.models import Status
from providers.models import Provider
from terminals.models import Terminal

from .. import exports
from ..access import access_export, access_payment, scope_dealers
from ..aggregates import report_build
from ..models import ExportJob, LedgerEntry
from .base import cabinet_view, query_without
from .charts import Bar, bar_chart
from .filters import LedgerFilterForm, PaymentFilterForm, ReportForm

PAGE = 50

# A reason in the dealer's words (payments.errors.Reason codes are stable; these are for people).
REASONS = {
    Reason.TERMINAL_BLOCKED: gettext_lazy("the terminal is blocked; it goes on once unblocked"),
    Reason.INSUFFICIENT_BALANCE: gettext_lazy("waiting for balance: it goes on after a top-up"),
    Reason.PROVIDER_DISABLED: gettext_lazy("the provider is switched off for now; it goes on once enabled"),
    Reason.UNKNOWN_PROVIDER: gettext_lazy("the terminal sent a provider we do not know"),
    Reason.ACCOUNT_FORMAT: gettext_lazy("the account does not match the provider's format"),
    Reason.AMOUNT_OUT_OF_LIMITS: gettext_lazy("the amount is outside the provider's limits"),
    Reason.AMOUNT_BELOW_MINIMUM: gettext_lazy("after the fee, less than the provider's minimum remains"),
    Reason.BLACKLISTED_ACCOUNT: gettext_lazy("payments to this account are not accepted"),
    Reason.NO_ROUTE: gettext_lazy("no payment system serves this provider"),
    Reason.DECLINED: gettext_lazy("the provider declined the payment"),
    Reason.GATEWAY_UNAVAILABLE: gettext_lazy("the payment system was unavailable for too long"),
    Reason.NO_GATEWAY_AVAILABLE: gettext_lazy("waiting for a payment system to become available"),
    Reason.GATEWAY_CONFIG: gettext_lazy("waiting for our support to fix a setting"),
    Reason.OUTCOME_UNKNOWN: gettext_lazy("the provider has not confirmed yet; our support is checking"),
    "balance_topped_up": gettext_lazy("the balance was topped up"),
    "provider_enabled": gettext_lazy("the provider was enabled again"),
    "terminal_unblocked": gettext_lazy("the terminal was unblocked"),
}


def reason_text(code: str) -> str:
    return str(REASONS.get(code, code))


def _totals(qs) -> dict:
    return qs.order_by().aggregate(count=Count("id"), amount=Sum("amount"), fee=Sum("fee"),
                                   credited=Sum("credited"), reward=Sum("reward"))


def _export(request, kind: str, qs, filename: str):
    """CSV streams; XLSX at once for a small selection, else a worker job and its page."""
    fmt = request.GET.get("format")
    if fmt == "csv":
        return exports.csv_export_response(kind, qs, request.tz, filename)
    if fmt == "xlsx":
        if qs.order_by().count() <= settings.KIT_EXPORT_INLINE_ROWS:
            header, rows = exports.KINDS[kind](qs, request.tz)
            return exports.xlsx_response(header, rows, filename)
        query = {k: v for k, v in request.GET.items() if k not in ("format", "before")}
        job = exports.export_job_create(user=request.user, dealer=request.dealer, kind=kind, query=query,
                                        time_zone=str(request.tz))
        return redirect("cabinet:export", pk=job.pk)
    return None


@cabinet_view
def payment_list(request):
    form = PaymentFilterForm(request.GET, dealer=request.dealer)
    if not form.is_valid():
        return render(request, "cabinet/payments.html", {"form": form}, status=400)
    qs = form.queryset(request.tz)
    if "format" in request.GET:
        response = _export(request, "payments", qs, "payments")
        if response is not None:
            return response
    before = request.GET.get("before", "")
    page_qs = qs.order_by("-id")
    if before.isdigit():
        page_qs = page_qs.filter(id__lt=int(before))
    rows = list(page_qs.select_related("terminal", "provider", "dealer")[:PAGE + 1])
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return render(request, "cabinet/payments.html", {
        "form": form, "payments": rows, "totals": _totals(qs),
        "next_before": rows[-1].pk if more else None,
        "query": query_without(request, "before", "format"),
        "first_page": before.isdigit(),
    })


@cabinet_view
def payment_detail(request, pk: int):
    payment = access_payment(request.dealer, pk)
    timeline = []
    for e in payment.events.order_by("id"):
        who = (_("terminal") if e.actor.startswith("terminal:") else
               _("support") if e.user_id or e.actor.startswith("user:") else _("system"))
        timeline.append({"at": e.created_at, "status": Status(e.to_status).label if e.to_status in Status.values
                         else e.to_status, "reason": reason_text(e.reason) if e.reason else "", "who": who})
    return render(request, "cabinet/payment.html", {
        "p": payment, "reason": reason_text(payment.reason) if payment.reason else "", "timeline": timeline,
    })


@cabinet_view
def balance(request):
    form = LedgerFilterForm(request.GET, dealer=request.dealer)
    if not form.is_valid():
        return render(request, "cabinet/balance.html", {"form": form, "dealer": request.dealer}, status=400)
    qs = form.queryset(request.tz)
    if "format" in request.GET:
        response = _export(request, "ledger", qs, "ledger")
        if response is not None:
            return response
    before = request.GET.get("before", "")
    page_qs = qs.order_by("-id")
    if before.isdigit():
        page_qs = page_qs.filter(id__lt=int(before))
    rows = list(page_qs.select_related("payment")[:PAGE + 1])
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    labels = dict(LedgerEntry.Kind.choices)
    per_kind = [{"kind": labels.get(r["kind"], r["kind"]), "count": r["n"], "total": r["total"]}
                for r in qs.order_by("kind").values("kind").annotate(n=Count("id"), total=Sum("amount"))]
    return render(request, "cabinet/balance.html", {
        "form": form, "dealer": form.cleaned_data.get("agent") or request.dealer, "entries": rows,
        "per_kind": per_kind, "total": sum((k["total"] for k in per_kind), ZERO),
        "next_before": rows[-1].pk if more else None, "query": query_without(request, "before", "format"),
        "first_page": before.isdigit(),
    })


@cabinet_view
def reports(request):
    form = ReportForm(request.GET)
    if not form.is_valid():
        return render(request, "cabinet/reports.html", {"form": form}, status=400)
    group = form.cleaned_data.get("group") or "day"
    date_from, date_to = form.period_days(request.tz)
    report = report_build(dealer=request.dealer, date_from=date_from, date_to=date_to, group=group)
    keys = [k for k, _t in report.rows]
    if group == "provider":
        names = {p.pk: p.name for p in Provider.objects.filter(pk__in=[k for k in keys if k])}
        names[None] = _("unknown provider")
    elif group == "terminal":
        names = {t.pk: t.number for t in Terminal.objects.filter(pk__in=keys)}
    elif group == "agent":
        names = dict(scope_dealers(request.dealer).values_list("pk", "name"))
    else:
        names = {k: k.strftime("%d.%m.%Y") for k in keys}
    rows = [(names.get(k, str(k)), t) for k, t in report.rows]
    if request.GET.get("format") in ("csv", "xlsx"):
        header = [_("Group"), _("Payments"), _("Cash"), _("Fee"), _("Credited"), _("Reward")]
        data = [(label, t.count, t.amount, t.fee, t.credited, t.reward) for label, t in rows]
        make = exports.csv_response if request.GET["format"] == "csv" else exports.xlsx_response
        return make(header, iter(data), f"report-{date_from:%Y%m%d}-{date_to:%Y%m%d}")
    chart = bar_chart([Bar(label=str(label)[:6], value=t.amount, title=f"{label}: {t.amount}")
                       for label, t in rows], caption=_("Turnover"))
    return render(request, "cabinet/reports.html", {
        "form": form, "rows": rows, "total": report.total, "chart": chart, "group": group,
        "date_from": date_from, "date_to": date_to, "query": query_without(request, "format"),
    })


@cabinet_view
def export_detail(request, pk: int):
    job = access_export(request.dealer, request.user, pk)
    return render(request, "cabinet/export.html", {"job": job})


@cabinet_view
def export_download(request, pk: int):
    job = access_export(request.dealer, request.user, pk)
    if job.state != ExportJob.State.DONE or not job.file:
        raise Http404
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=f"{job.kind}-{job.pk}.xlsx",
                        content_type=exports.XLSX_TYPE)

