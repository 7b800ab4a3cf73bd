"""Staff claim pages (/support/claims/): list and dashboard, register, the claim, its steps, prints, scan."""

import uuid
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from payments.models import Payment

from . import deadline, selectors, services
from .access import staff_view
from .errors import ClaimError
from .forms import DATETIME_FORMATS, EscalateForm, LinkForm, ListFilterForm, RegisterForm, StepForm
from .models import Status
from .pdf import answer_pdf, claim_pdf

DUE_SOON_DAYS = 2


def _support_payment_url(payment_id, number: str) -> str | None:
    """The console's payment page (corrections, resends, cancels) once that page exists."""
    if payment_id is None:
        return None
    try:
        return reverse("support:payment", args=[payment_id]) + f"?claim={number}"
    except NoReverseMatch:
        return None


@staff_view
def claim_list(request):
    form = ListFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    now = timezone.now()
    claims = selectors.claim_list(
        status=filters.get("status") or "",
        operator_id=filters["operator"].pk if filters.get("operator") else None,
        dealer_id=filters["dealer"].pk if filters.get("dealer") else None)[:500]
    rows = []
    for c in claims:
        left = deadline.days_left(c.due_at, now) if c.is_open else None
        late = c.is_open and c.due_at < now
        rows.append({"claim": c, "days_left": left, "overdue": late,
                     "due_soon": c.is_open and not late and left is not None and left <= DUE_SOON_DAYS})
    dashboard = selectors.claims_dashboard(now)
    return render(request, "claims/list.html", {
        "form": form, "rows": rows, "dashboard": dashboard,
        "statuses": [(code, label, dashboard.counts.get(code, 0)) for code, label in Status.choices]})


def _prefill(request) -> dict:
    """Initial values from ?payment=<id>, or from the cheque fields the lookup page passes on."""
    initial = {"received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "request_key": uuid.uuid4()}
    payment_id = request.GET.get("payment", "")
    if payment_id.isdigit():
        p = get_object_or_404(Payment.objects.select_related("terminal", "provider"), pk=int(payment_id))
        initial.update(payment=p.pk, cheque_terminal=p.terminal.number, cheque_txn=p.txn,
                       cheque_paid_at=timezone.localtime(p.paid_at).strftime("%Y-%m-%dT%H:%M"),
                       cheque_amount=p.amount, cheque_account=p.account,
                       cheque_provider=p.provider.name if p.provider else p.provider_code)
        return initial
    for param, field in (("terminal", "cheque_terminal"), ("txn", "cheque_txn"), ("amount", "cheque_amount"),
                         ("date", "cheque_paid_at"), ("account", "cheque_account")):
        if request.GET.get(param):
            initial[field] = request.GET[param][:64]
    if "cheque_paid_at" in initial:
        shown = _datetime_local(initial.pop("cheque_paid_at"))
        if shown:
            initial["cheque_paid_at"] = shown
    return initial


def _datetime_local(value: str) -> str:
    """The lookup's date (with or without a time, ISO or Russian order) as the date-and-time input shows it."""
    for fmt in (*DATETIME_FORMATS, "%Y-%m-%d", "%d.%m.%Y"):
        try:
            # The operator's wall-clock time, as the cheque prints it: no zone conversion.
            parsed = datetime.strptime(value, fmt).replace(tzinfo=timezone.get_current_timezone())
            return parsed.strftime("%Y-%m-%dT%H:%M")
        except ValueError:
            continue
    return ""


@staff_view
def claim_register(request):
    form = RegisterForm(request.POST or None, request.FILES or None, initial=_prefill(request))
    payment = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data.get("payment"):
            payment = Payment.objects.filter(pk=data["payment"]).first()
            if payment is None:
                form.add_error(None, _("The payment was not found."))
        if payment is not None or not data.get("payment"):
            try:
                claim = services.claim_register(
                    user=request.user, payment=payment, customer_name=data["customer_name"],
                    customer_phone=data["customer_phone"], customer_email=data["customer_email"], ask=data["ask"],
                    text=data["text"], received_at=data["received_at"], scan=data["scan"],
                    scan_type=form.scan_type, comment=data["comment"],
                    request_key=str(data["request_key"]) if data.get("request_key") else None,
                    cheque=services.Cheque(terminal=data["cheque_terminal"], txn=data["cheque_txn"],
                                           paid_at=data["cheque_paid_at"], amount=data["cheque_amount"],
                                           account=data["cheque_account"], provider=data["cheque_provider"]))
            except ClaimError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Claim %(number)s registered.") % {"number": claim.number})
                return redirect("claims:detail", number=claim.number)
    linked = None
    if form.initial.get("payment"):
        linked = Payment.objects.select_related("terminal").filter(pk=form.initial["payment"]).first()
    return render(request, "claims/register.html", {
        "form": form, "linked": linked, "privacy_version": settings.KIT_PRIVACY_NOTICE_VERSION},
                  status=400 if form.is_bound else 200)


def _detail(request, claim, *, step_form=None, link_form=None, escalate_form=None, status=200):
    now = timezone.now()
    candidates = []
    if claim.payment_id is None:
        paid_on = claim.cheque_paid_at.astimezone(deadline.company_tz()).date() if claim.cheque_paid_at else None
        candidates = selectors.payment_candidates(account=claim.cheque_account, amount=claim.cheque_amount,
                                                  paid_on=paid_on)
    audit = []
    if claim.payment_id:
        audit = list(claim.payment.audit_entries.select_related("user").order_by("id"))
    return render(request, "claims/detail.html", {
        "claim": claim, "steps": claim.steps.select_related("user", "gateway"),
        "days_left": deadline.days_left(claim.due_at, now) if claim.is_open else None,
        "overdue": claim.is_open and claim.due_at < now,
        "candidates": candidates, "audit": audit,
        "payment_url": _support_payment_url(claim.payment_id, claim.number),
        "next_steps": sorted(services.TRANSITIONS.get(claim.status, ())),
        "step_form": step_form or StepForm(), "link_form": link_form or LinkForm(),
        "escalate_form": escalate_form or EscalateForm(
            prefix="escalate", initial={"happened_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}),
    }, status=status)


@staff_view
def claim_detail(request, number):
    return _detail(request, selectors.claim_get(number))


@staff_view
@require_POST
def claim_step(request, number):
    claim = selectors.claim_get(number)
    form = StepForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.claim_transition(claim=claim, to=data["to"], user=request.user, comment=data["comment"],
                                      outcome=data["outcome"], answer=data["answer"])
        except ClaimError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("claims:detail", number=number)
    return _detail(request, claim, step_form=form, status=400)


@staff_view
@require_POST
def claim_link(request, number):
    claim = selectors.claim_get(number)
    form = LinkForm(request.POST)
    if form.is_valid():
        payment = Payment.objects.filter(pk=form.cleaned_data["payment"]).first()
        if payment is None:
            form.add_error(None, _("The payment was not found."))
        else:
            try:
                services.claim_link_payment(claim=claim, payment=payment, user=request.user,
                                            comment=form.cleaned_data["comment"])
            except ClaimError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Payment linked."))
                return redirect("claims:detail", number=number)
    return _detail(request, claim, link_form=form, status=400)


@staff_view
@require_POST
def claim_escalate(request, number):
    claim = selectors.claim_get(number)
    form = EscalateForm(request.POST, prefix="escalate")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.claim_escalate(claim=claim, user=request.user, gateway=data["gateway"],
                                    reference=data["reference"], happened_at=data["happened_at"],
                                    comment=data["comment"])
        except ClaimError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Escalation recorded."))
            return redirect("claims:detail", number=number)
    return _detail(request, claim, escalate_form=form, status=400)


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@staff_view
def claim_print(request, number):
    claim = selectors.claim_get(number)
    return _pdf(claim_pdf(claim), f"{claim.number}.pdf")


@staff_view
def claim_answer(request, number):
    claim = selectors.claim_get(number)
    if not claim.answer:
        raise Http404("no answer yet")
    return _pdf(answer_pdf(claim), f"{claim.number}-answer.pdf")


@staff_view
def claim_scan(request, number):
    """The cheque scan, to staff only; the file lives outside every public URL."""
    claim = selectors.claim_get(number)
    if not claim.scan:
        raise Http404("no scan")
    response = FileResponse(claim.scan.open("rb"), content_type=claim.scan_type or "application/octet-stream")
    # Images open in the browser; a PDF is downloaded, so no script in it runs in our origin.
    disposition = "attachment" if claim.scan_type == "application/pdf" else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{claim.number}-cheque"'
    response["Cache-Control"] = "private, no-store"
    return response
