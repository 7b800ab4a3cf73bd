"""Customers' pages without login: a payment's status from the cheque, a claim's status.

Both tell nothing but the status: a wrong amount or phone answers exactly like an unknown
payment or claim, and both are rate-limited per client address and per key.
"""

from django.shortcuts import render
from django.utils.translation import pgettext_lazy

from kit.money import rub
from payments.models import Payment
from payments.models import Status as PaymentStatus

from . import deadline
from .forms import CheckForm, StatusForm
from .models import Claim
from .ratelimit import allow

IN_PROGRESS = (PaymentStatus.ACCEPTED, PaymentStatus.HELD, PaymentStatus.PROCESSING)


def _limited(request):
    response = render(request, "claims/public/limited.html", status=429)
    response["Retry-After"] = "60"
    return response


def check(request):
    """/check/: terminal + transaction + amount from the cheque -> the payment's status in words."""
    result = None
    form = CheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not allow(request, "check", f"{data['terminal']}/{data['txn']}"):
            return _limited(request)
        payment = (Payment.objects.select_related("dealer")
                   .filter(terminal__number=data["terminal"].strip(), txn=data["txn"].strip(),
                           amount=rub(data["amount"])).first())
        if payment is None:
            result = {"found": False}
        elif payment.status == PaymentStatus.SUCCEEDED:
            result = {"found": True, "kind": "ok", "text": pgettext_lazy("payment status", "credited")}
        elif payment.status in IN_PROGRESS:
            result = {"found": True, "kind": "wait", "text": pgettext_lazy("payment status", "in progress")}
        else:
            result = {"found": True, "kind": "bad", "text": pgettext_lazy("payment status", "not made — please contact support"),
                      "phone": payment.dealer.support_phone}
        # The answer never echoes what was typed: the page is the same for every miss.
        form = CheckForm()
    return render(request, "claims/public/check.html", {"form": form, "result": result})


def claim_status(request):
    """/claims/status/: claim number + the phone given with it -> status and deadline."""
    result = None
    form = StatusForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        number = data["number"].strip().upper()
        if not allow(request, "claim", number):
            return _limited(request)
        claim = Claim.objects.filter(number=number, customer_phone=data["phone"]).first()
        if claim is None:
            result = {"found": False}
        else:
            result = {"found": True, "number": claim.number, "status": claim.get_status_display(),
                      "outcome": claim.get_outcome_display() if claim.outcome else "",
                      "due": claim.due_at.astimezone(deadline.company_tz()),
                      "answered": claim.answered_at is not None}
        form = StatusForm()
    return render(request, "claims/public/status.html", {"form": form, "result": result})
