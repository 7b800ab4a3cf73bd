from django import forms
from django.utils.translation import gettext_lazy as _

from dealers.access import scope_terminals

from .catalogue import Code


class AlertFilterForm(forms.Form):
    STATES = [("", _("open and past")), ("open", _("open")), ("closed", _("past"))]

    terminal = forms.ModelChoiceField(label=_("Terminal"), queryset=None, required=False)
    code = forms.ChoiceField(label=_("Alert"), required=False, choices=[("", "—"), *Code.choices])
    state = forms.ChoiceField(label=_("State"), required=False, choices=STATES)

    def __init__(self, *args, dealer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["terminal"].queryset = scope_terminals(dealer).order_by("number")

    def filter(self, qs):
        data = self.cleaned_data
        if data.get("terminal"):
            qs = qs.filter(terminal=data["terminal"])
        if data.get("code"):
            qs = qs.filter(code=data["code"])
        if data.get("state") == "open":
            qs = qs.filter(closed_at__isnull=True)
        elif data.get("state") == "closed":
            qs = qs.filter(closed_at__isnull=False)
        return qs


class AlertChoiceForm(forms.Form):
    codes = forms.MultipleChoiceField(label=_("Alerts I am notified of"), required=False, choices=Code.choices,
                                      widget=forms.CheckboxSelectMultiple)

    @classmethod
    def for_user(cls, user, data=None):
        choice = getattr(user, "alert_choice", None) if user.pk else None
        initial = choice.codes if choice is not None else list(Code.values)
        return cls(data, initial={"codes": initial})
