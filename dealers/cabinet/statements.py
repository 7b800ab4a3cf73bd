"""Cabinet monthly statements (page, PDF, XLSX) and top-up requests."""

import re
import uuid
from datetime import date
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import services
from ..access import access_topup, scope_dealers
from ..exports import XLSX_TYPE
from ..models import TopUpRequest
from ..statements import statement_build, statement_pdf, statement_xlsx
from .base import cabinet_view

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
SCAN_TYPES = {"application/pdf", "image/jpeg", "image/png"}
SCAN_MAX_BYTES = 5 * 1024 * 1024


class StatementForm(forms.Form):
    dealer = forms.ModelChoiceField(label=gettext_lazy("Dealer"), queryset=None, required=False)
    month = forms.CharField(label=gettext_lazy("Month"), max_length=7, required=False,
                            widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"}))

    def __init__(self, *args, dealer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dealer"].queryset = scope_dealers(dealer).order_by("path")

    def clean_month(self):
        value = self.cleaned_data["month"]
        if not value:
            return None
        m = MONTH.match(value)
        if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 2000:
            raise forms.ValidationError(_("Enter a month as YYYY-MM, e.g. 2026-11."))
        return date(int(m.group(1)), int(m.group(2)), 1)


@cabinet_view
def statements(request):
    this_month = timezone.now().astimezone(request.tz).strftime("%Y-%m")
    form = StatementForm(request.GET or {"month": this_month}, dealer=request.dealer)
    if not form.is_valid():
        return render(request, "cabinet/statements.html", {"form": form}, status=400)
    dealer = form.cleaned_data["dealer"] or request.dealer
    month = form.cleaned_data["month"] or timezone.now().astimezone(request.tz).date().replace(day=1)
    st = statement_build(dealer=dealer, month=month)
    name = f"statement-{dealer.pk}-{month:%Y-%m}"
    fmt = request.GET.get("format")
    if fmt == "pdf":
        response = HttpResponse(statement_pdf(st), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return response
    if fmt == "xlsx":
        response = HttpResponse(statement_xlsx(st), content_type=XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    query = f"dealer={dealer.pk}&month={month:%Y-%m}"
    return render(request, "cabinet/statements.html", {"form": form, "st": st, "query": query})


class TopUpForm(forms.Form):
    amount = forms.DecimalField(label=gettext_lazy("Amount, RUB"), max_digits=14, decimal_places=2,
                                min_value=Decimal("0.01"))
    paid_on = forms.DateField(label=gettext_lazy("Date of the transfer"), input_formats=["%Y-%m-%d", "%d.%m.%Y"],
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    order_number = forms.CharField(label=gettext_lazy("Payment order number"), max_length=32)
    scan = forms.FileField(label=gettext_lazy("Scan (PDF, JPEG or PNG, up to 5 MB)"), required=False)
    key = forms.UUIDField(widget=forms.HiddenInput)

    def clean_paid_on(self):
        day = self.cleaned_data["paid_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The transfer cannot be dated in the future."))
        return day

    def clean_scan(self):
        scan = self.cleaned_data.get("scan")
        if not scan:
            return None
        if scan.size > SCAN_MAX_BYTES:
            raise forms.ValidationError(_("The scan is larger than 5 MB."))
        head = scan.read(8)
        scan.seek(0)
        if not (head.startswith(b"%PDF") or head.startswith(b"\xff\xd8\xff") or head.startswith(b"\x89PNG")):
            raise forms.ValidationError(_("The scan must be a PDF, JPEG or PNG file."))
        return scan


@cabinet_view
def topups(request):
    form = TopUpForm(initial={"key": uuid.uuid4()})
    status = 200
    if request.method == "POST":
        form = TopUpForm(request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.topup_request_create(dealer=request.dealer, amount=d["amount"], paid_on=d["paid_on"],
                                              order_number=d["order_number"], scan=d["scan"], key=d["key"],
                                              by=request.user)
            except services.DealerError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Request sent: the balance is topped up once an administrator "
                                            "confirms the transfer."))
                return redirect("cabinet:topups")
        status = 400
    rows = TopUpRequest.objects.filter(dealer__path__startswith=request.dealer.path).select_related("dealer")[:100]
    return render(request, "cabinet/topups.html", {"form": form, "requests": rows}, status=status)


@cabinet_view
def topup_scan(request, pk: int):
    req = access_topup(request.dealer, pk)
    if not req.scan:
        raise Http404
    return FileResponse(req.scan.open("rb"), as_attachment=True, filename=req.scan.name.rsplit("/", 1)[-1])
