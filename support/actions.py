"""The correction actions' pages: one page per action on a payment, the approvals, the bulk resend.

Views authorize (support, senior support, admins; dealers 403, anonymous to the login page),
parse with a form, read through support/action_selectors.py and call one service of
support/approvals.py; a refusal is shown as the form's message with status 400 and changes nothing.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from payments.errors import ActionRefused
from payments.models import Payment
from payments.services.correct import correction_quote
from providers.models import Provider
from support import action_selectors as selectors
from support.action_forms import (
    ActionForm,
    BulkResendForm,
    CorrectForm,
    DecisionForm,
    ResolveForm,
    ReverseForm,
    SelectionForm,
)
from support.approvals import (
    action_approve,
    action_reject,
    action_request,
    is_senior,
    is_support,
    needs_approval,
)
from support.models import ActionRequest

A = ActionRequest.Action
FORMS = {A.CORRECT: CorrectForm, A.REVERSE: ReverseForm, A.RESOLVE: ResolveForm}
SINGLE = (A.POLL, A.RESEND, A.CORRECT, A.CANCEL, A.REVERSE, A.RESOLVE)


def support_only(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_support(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)
    return wrapper


def payment_url(payment: Payment) -> str:
    """The console's payment page (the reading pages' URL), else this payment's first action page."""
    try:
        return reverse("support:payment", args=[payment.pk])
    except NoReverseMatch:
        return reverse("support:approvals")


def _form(action: str, data=None):
    if action == A.CORRECT:
        providers = list(Provider.objects.order_by("name").values_list("code", "name"))
        return CorrectForm(data, providers=providers)
    return FORMS.get(action, ActionForm)(data)


@support_only
@require_http_methods(["GET", "POST"])
def payment_action(request, payment_id: int, action: str):
    if action not in SINGLE:
        raise Http404
    payment = get_object_or_404(Payment.objects.select_related("provider", "dealer", "terminal", "gateway"),
                                pk=payment_id)
    form = _form(action, request.POST if request.method == "POST" else None)
    preview = None
    status = 200
    if request.method == "POST" and form.is_valid():
        params = form.params()
        try:
            if action == A.CORRECT and not form.cleaned_data.get("confirm"):
                preview = correction_quote(payment=payment, account=params["account"],
                                           provider_code=params["provider"])
                form = _form(action, {**request.POST.dict(), "confirm": "1"})
                form.is_valid()
            else:
                outcome = action_request(user=request.user, action=action, payment_id=payment.pk,
                                         comment=form.cleaned_data["comment"], params=params)
                if outcome.waiting:
                    messages.info(request, _("Request #%(id)s waits for a second senior's approval.")
                                  % {"id": outcome.request.pk})
                    return redirect("support:approvals")
                messages.success(request, _("Done: the payment is now %(status)s.")
                                 % {"status": outcome.payment.get_status_display()})
                return redirect(payment_url(payment))
        except ActionRefused as refused:
            form.add_error(None, refused.message)
            status = 400
    elif request.method == "POST":
        status = 400
    return render(request, "support/action.html", {
        "payment": payment, "action": action, "action_label": A(action).label, "form": form, "preview": preview,
        "available": action in selectors.actions_available(payment),
        "needs_approval": needs_approval(user=request.user, action=action, amount=payment.amount),
        "pending": selectors.requests_pending(payment=payment).filter(action=action).first(),
        "payment_url": payment_url(payment), "four_eyes_amount": settings.KIT_FOUR_EYES_AMOUNT,
    }, status=status)


@support_only
@require_http_methods(["GET"])
def approvals(request):
    now = timezone.now()
    pending = list(selectors.requests_pending())
    for r in pending:
        # What a correction would change, judged now (the catalogue may have moved since the request).
        r.preview = r.refusal = None
        if r.action == A.CORRECT and r.expires_at > now:
            try:
                r.preview = correction_quote(payment=r.payment, account=r.params.get("account", ""),
                                             provider_code=r.params.get("provider", ""))
            except ActionRefused as refused:
                r.refusal = refused.message
    return render(request, "support/approvals.html", {
        "pending": [r for r in pending if r.expires_at > now],
        "stale": [r for r in pending if r.expires_at <= now],
        "decided": selectors.requests_decided(),
        "can_approve": is_senior(request.user), "form": DecisionForm(),
        "four_eyes_amount": settings.KIT_FOUR_EYES_AMOUNT,
    })


@support_only
@require_POST
def approval_decide(request, request_id: int):
    req = get_object_or_404(ActionRequest, pk=request_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("support:approvals")
    decide = action_approve if form.cleaned_data["decision"] == "approve" else action_reject
    try:
        outcome = decide(request_id=req.pk, user=request.user, comment=form.cleaned_data["comment"])
    except ActionRefused as refused:
        messages.error(request, _("Request #%(id)s: %(why)s") % {"id": req.pk, "why": refused.message})
        return redirect("support:approvals")
    if outcome.request.state == ActionRequest.State.REJECTED:
        messages.info(request, _("Request #%(id)s rejected.") % {"id": req.pk})
    elif outcome.payment is not None:
        messages.success(request, _("Request #%(id)s approved and done: the payment is now %(status)s.")
                         % {"id": req.pk, "status": outcome.payment.get_status_display()})
    else:
        messages.success(request, _("Request #%(id)s approved and done.") % {"id": req.pk})
    return redirect("support:approvals")


@support_only
@require_http_methods(["GET", "POST"])
def bulk_resend(request):
    selection = SelectionForm(request.GET)
    if not selection.is_valid():
        return render(request, "support/bulk_resend.html", {"selection": selection}, status=400)
    ids, total, matching = selectors.bulk_selection(**selection.cleaned_data)
    form = BulkResendForm(request.POST if request.method == "POST" else None,
                          initial={"payments": ",".join(map(str, ids))})
    context = {"selection": selection, "ids": ids, "count": len(ids), "total": total, "matching": matching,
               "needs_approval": needs_approval(user=request.user, action=A.BULK_RESEND, amount=total),
               "four_eyes_amount": settings.KIT_FOUR_EYES_AMOUNT, "form": form, "query": request.GET.urlencode()}
    if request.method == "GET":
        return render(request, "support/bulk_resend.html", context)
    if not form.is_valid():
        return render(request, "support/bulk_resend.html", context, status=400)
    try:
        outcome = action_request(user=request.user, action=A.BULK_RESEND, comment=form.cleaned_data["comment"],
                                 params={"payments": form.cleaned_data["payments"]})
    except ActionRefused as refused:
        form.add_error(None, refused.message)
        return render(request, "support/bulk_resend.html", context, status=400)
    if outcome.waiting:
        messages.info(request, _("Request #%(id)s waits for a second senior's approval.")
                      % {"id": outcome.request.pk})
        return redirect("support:approvals")
    refused = [(Payment.objects.select_related("terminal").get(pk=pk), code, message)
               for pk, code, message in outcome.bulk.refused]
    return render(request, "support/bulk_resend_done.html", {
        "resent": list(Payment.objects.filter(pk__in=outcome.bulk.resent).select_related("terminal").order_by("pk")),
        "refused": refused})
