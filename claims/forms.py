"""Claim forms: they parse and check input; the services decide."""

import re
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dealers.models import Dealer
from gateways.models import Gateway
from kit.roles import ADMIN, SENIOR, SUPPORT

from .models import Ask, Outcome, Status

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M", "%Y-%m-%dT%H:%M:%S"]
# Content, not the name: a file is what its first bytes say it is.
SIGNATURES = [(b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"%PDF-", "application/pdf")]


def normalize_phone(value: str) -> str | None:
    """A Russian phone number as +7 and ten digits, or None when it is not one."""
    if not re.fullmatch(r"[\d\s()+\-]+", value or ""):
        return None
    digits = re.sub(r"\D", "", value)
    if len(digits) == 11 and digits[0] in "78":
        digits = digits[1:]
    if len(digits) != 10 or value.strip().startswith("+") and not value.strip().startswith("+7"):
        return None
    return "+7" + digits


def sniff(upload) -> str | None:
    """The upload's type from its first bytes (JPEG, PNG or PDF), or None."""
    head = upload.read(8)
    upload.seek(0)
    for magic, content_type in SIGNATURES:
        if head.startswith(magic):
            return content_type
    return None


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self):
        super().__init__(format="%Y-%m-%dT%H:%M")


class PhoneField(forms.CharField):
    default_error_messages = {"invalid": _("Enter a phone number: +7 and ten digits, e.g. +7 916 123-45-67.")}

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        phone = normalize_phone(value)
        if phone is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return phone


class RegisterForm(forms.Form):
    payment = forms.IntegerField(widget=forms.HiddenInput, required=False)
    request_key = forms.UUIDField(widget=forms.HiddenInput, required=False)
    cheque_terminal = forms.CharField(label=_("Terminal number"), max_length=20, required=False)
    cheque_txn = forms.CharField(label=_("Transaction number"), max_length=20, required=False)
    cheque_paid_at = forms.DateTimeField(label=_("Date and time on the cheque"), required=False,
                                         input_formats=DATETIME_FORMATS, widget=DateTimeLocalInput())
    cheque_amount = forms.DecimalField(label=_("Amount"), required=False, max_digits=12, decimal_places=2,
                                       min_value=0)
    cheque_account = forms.CharField(label=pgettext_lazy("cheque", "Account"), max_length=64, required=False)
    cheque_provider = forms.CharField(label=_("Provider"), max_length=200, required=False)
    customer_name = forms.CharField(label=_("Customer's full name"), max_length=200)
    customer_phone = PhoneField(label=_("Customer's phone"), max_length=32)
    customer_email = forms.EmailField(label=_("Customer's e-mail (optional)"), required=False)
    ask = forms.ChoiceField(label=_("The customer asks to"), choices=Ask.choices, widget=forms.RadioSelect)
    text = forms.CharField(label=_("The claim in the customer's words"), widget=forms.Textarea(attrs={"rows": 5}))
    scan = forms.FileField(label=_("Scan or photo of the cheque (JPEG, PNG or PDF, at most 5 MB)"), required=False)
    received_at = forms.DateTimeField(label=_("Received at"), input_formats=DATETIME_FORMATS,
                                      widget=DateTimeLocalInput())
    comment = forms.CharField(label=_("Operator's note (optional)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def clean_scan(self):
        upload = self.cleaned_data.get("scan")
        self.scan_type = ""
        if not upload:
            return None
        if upload.size > settings.KIT_CLAIM_SCAN_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."), code="too_large")
        content_type = sniff(upload)
        if content_type is None:
            raise forms.ValidationError(_("The file is not a JPEG, PNG or PDF."), code="file_type")
        self.scan_type = content_type
        return upload

    def clean_received_at(self):
        value = self.cleaned_data["received_at"]
        if value > timezone.now() + timedelta(minutes=1):
            raise forms.ValidationError(_("The time of receipt cannot be in the future."), code="future")
        return value

    def clean(self):
        data = super().clean()
        has_txn = data.get("cheque_terminal") and data.get("cheque_txn")
        has_account = data.get("cheque_account") and data.get("cheque_amount") is not None
        if not data.get("payment") and not has_txn and not has_account:
            raise forms.ValidationError(
                _("Type the terminal and transaction numbers from the cheque, or its account and amount."),
                code="cheque_required")
        return data


class StepForm(forms.Form):
    to = forms.ChoiceField(choices=[(s, s) for s in Status.values], widget=forms.HiddenInput)
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}))
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *Outcome.choices], required=False)
    answer = forms.CharField(label=_("Answer to the customer"), required=False,
                             widget=forms.Textarea(attrs={"rows": 5}))


class LinkForm(forms.Form):
    payment = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}))


class EscalateForm(forms.Form):
    gateway = forms.ModelChoiceField(label=_("Gateway"), queryset=Gateway.objects.order_by("name"))
    reference = forms.CharField(label=_("Their reference"), max_length=100, required=False)
    happened_at = forms.DateTimeField(label=_("When"), input_formats=DATETIME_FORMATS, widget=DateTimeLocalInput())
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}))


class ListFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", pgettext_lazy("claims", "all")), ("open", pgettext_lazy("claims", "open")), *Status.choices])
    operator = forms.ModelChoiceField(label=_("Operator"), required=False, queryset=None)
    dealer = forms.ModelChoiceField(label=_("Dealer"), required=False, queryset=Dealer.objects.order_by("path"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operator"].queryset = (get_user_model().objects.filter(
            groups__name__in=[SUPPORT, SENIOR, ADMIN]).distinct().order_by("username"))


class CheckForm(forms.Form):
    terminal = forms.CharField(label=_("Terminal number"), max_length=20)
    txn = forms.CharField(label=_("Transaction number"), max_length=20)
    amount = forms.DecimalField(label=_("Amount"), max_digits=12, decimal_places=2, min_value=0)


class StatusForm(forms.Form):
    number = forms.CharField(label=_("Claim number"), max_length=16)
    phone = PhoneField(label=_("Phone given with the claim"), max_length=32)
