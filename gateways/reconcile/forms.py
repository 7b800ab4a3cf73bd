from django import forms
from django.utils.translation import gettext_lazy as _

from gateways.models import Gateway

from .models import Reconciliation
from .registry import MAX_BYTES


class FilterForm(forms.Form):
    gateway = forms.ModelChoiceField(label=_("gateway"), queryset=Gateway.objects.all(), to_field_name="code",
                                     required=False, empty_label=_("all gateways"))
    status = forms.ChoiceField(label=_("status"), required=False,
                               choices=[("", _("any status")), *Reconciliation.Status.choices])


class RunForm(forms.Form):
    gateway = forms.ModelChoiceField(label=_("gateway"), queryset=Gateway.objects.all(), to_field_name="code")
    day = forms.DateField(label=_("day"), input_formats=["%Y-%m-%d"],
                          widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class ResolveForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=2000, strip=True,
                             widget=forms.Textarea(attrs={"rows": 2, "cols": 40}),
                             error_messages={"required": _("Give a reason: it is kept in the audit log.")})


class UploadForm(forms.Form):
    file = forms.FileField(label=_("registry file (CSV)"),
                           help_text=_("UTF-8 CSV: key,upstream_id,account,amount,status,created_at"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is too large."), code="too_large")
        return f
