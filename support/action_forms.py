"""Forms of the correction actions, the approvals and the bulk resend selection."""

from __future__ import annotations

import re
from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from payments.errors import Reason
from payments.models import Status

COMMENT = forms.CharField(label=_("Comment"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
                          help_text=_("Why: what the customer said, what was checked."))


class ActionForm(forms.Form):
    comment = COMMENT

    def params(self) -> dict:
        return {}


class CorrectForm(ActionForm):
    account = forms.CharField(label=_("New account"), max_length=64, required=False)
    provider = forms.ChoiceField(label=_("Provider"), required=False)
    # The first submit shows the difference; the second (confirm=1) asks for it to be done.
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
    field_order = ["account", "provider", "comment"]

    def __init__(self, *args, providers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [("", _("(unchanged)")), *providers]

    def clean(self):
        data = super().clean()
        if not data.get("account", "").strip() and not data.get("provider"):
            raise forms.ValidationError(_("Give a new account or another provider."), code="nothing_to_correct")
        return data

    def params(self) -> dict:
        return {"account": self.cleaned_data["account"].strip(), "provider": self.cleaned_data["provider"]}


class ReverseForm(ActionForm):
    reference = forms.CharField(label=_("Gateway's reversal reference"), max_length=64)
    field_order = ["reference", "comment"]

    def params(self) -> dict:
        return {"reference": self.cleaned_data["reference"].strip()}


class ResolveForm(ActionForm):
    outcome = forms.ChoiceField(label=_("The gateway says"), widget=forms.RadioSelect, choices=[
        (Status.SUCCEEDED, _("paid (succeeded)")), (Status.FAILED, _("not paid (failed)"))])
    reference = forms.CharField(label=_("Gateway's reference"), max_length=64,
                                help_text=_("Their transaction id or the ticket of the call."))
    field_order = ["outcome", "reference", "comment"]

    def params(self) -> dict:
        return {"outcome": self.cleaned_data["outcome"], "reference": self.cleaned_data["reference"].strip()}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    comment = forms.CharField(label=_("Comment"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


AGE_RE = re.compile(r"^(\d{1,5})\s*([mhd]?)$")
AGE_UNITS = {"m": "minutes", "h": "hours", "d": "days", "": "hours"}


class SelectionForm(forms.Form):
    """The queue's filter as a query string: reason, gateway, provider, dealer, age (e.g. 30m, 12h, 7d)."""

    reason = forms.ChoiceField(label=_("Reason"), required=False,
                               choices=[("", "—"), *[(r.value, r.value) for r in Reason]])
    gateway = forms.SlugField(label=_("Gateway"), required=False, max_length=32)
    provider = forms.SlugField(label=_("Provider"), required=False, max_length=64)
    dealer = forms.IntegerField(label=_("Dealer"), required=False, min_value=1, max_value=2**31 - 1)
    age = forms.CharField(label=_("Older than"), required=False, max_length=8,
                          help_text=_("e.g. 30m, 12h, 7d (hours when no unit is given)"))

    def clean_age(self) -> timedelta | None:
        value = self.cleaned_data["age"].strip()
        if not value:
            return None
        m = AGE_RE.match(value)
        if m is None:
            raise forms.ValidationError(_("Write the age as a number with m, h or d, e.g. 12h."), code="age")
        return timedelta(**{AGE_UNITS[m.group(2)]: int(m.group(1))})


class BulkResendForm(forms.Form):
    comment = COMMENT
    payments = forms.CharField(widget=forms.HiddenInput)

    def clean_payments(self) -> list[int]:
        raw = self.cleaned_data["payments"]
        if not re.fullmatch(r"\d{1,12}(,\d{1,12}){0,999}", raw):
            raise forms.ValidationError(_("The selection is malformed."), code="payments")
        return sorted({int(x) for x in raw.split(",")})
