"""Cabinet filter forms: bad values are form errors; a valid form turns into a scoped queryset."""

from datetime import date, datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from payments.models import Status
from providers.models import Provider

from ..access import scope_dealers, scope_ledger, scope_payments, scope_terminals
from ..models import LedgerEntry

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _start(day: date, tz) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE_INPUT, input_formats=["%Y-%m-%d"])
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE_INPUT, input_formats=["%Y-%m-%d"])

    def clean(self):
        data = super().clean()
        lo, hi = data.get("date_from"), data.get("date_to")
        if lo and hi and lo > hi:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data

    def period(self, tz) -> tuple[datetime | None, datetime | None]:
        """[start, end) in `tz` from the inclusive dates."""
        lo, hi = self.cleaned_data.get("date_from"), self.cleaned_data.get("date_to")
        return (_start(lo, tz) if lo else None, _start(hi + timedelta(days=1), tz) if hi else None)


class PaymentFilterForm(PeriodForm):
    terminal = forms.ModelChoiceField(label=_("Terminal"), queryset=None, required=False)
    agent = forms.ModelChoiceField(label=_("Dealer"), queryset=None, required=False)
    provider = forms.ModelChoiceField(label=_("Provider"), queryset=Provider.objects.order_by("name"),
                                      required=False)
    status = forms.ChoiceField(label=_("Status"), choices=[("", "—"), *Status.choices], required=False)
    account = forms.CharField(label=_("Account"), max_length=64, required=False)
    amount_min = forms.DecimalField(label=_("Cash from"), max_digits=14, decimal_places=2, min_value=0,
                                    required=False)
    amount_max = forms.DecimalField(label=_("Cash to"), max_digits=14, decimal_places=2, min_value=0,
                                    required=False)

    def __init__(self, *args, dealer, **kwargs):
        super().__init__(*args, **kwargs)
        self.dealer = dealer
        self.fields["terminal"].queryset = scope_terminals(dealer).order_by("number")
        self.fields["agent"].queryset = scope_dealers(dealer)

    def queryset(self, tz):
        d = self.cleaned_data
        qs = scope_payments(self.dealer)
        start, end = self.period(tz)
        if start:
            qs = qs.filter(received_at__gte=start)
        if end:
            qs = qs.filter(received_at__lt=end)
        if d.get("terminal"):
            qs = qs.filter(terminal=d["terminal"])
        if d.get("agent"):
            qs = qs.filter(dealer=d["agent"])
        if d.get("provider"):
            qs = qs.filter(provider=d["provider"])
        if d.get("status"):
            qs = qs.filter(status=d["status"])
        if d.get("account"):
            qs = qs.filter(account=d["account"].strip())
        if d.get("amount_min") is not None:
            qs = qs.filter(amount__gte=d["amount_min"])
        if d.get("amount_max") is not None:
            qs = qs.filter(amount__lte=d["amount_max"])
        return qs


class LedgerFilterForm(PeriodForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *LedgerEntry.Kind.choices], required=False)
    agent = forms.ModelChoiceField(label=_("Dealer"), queryset=None, required=False)

    def __init__(self, *args, dealer, **kwargs):
        super().__init__(*args, **kwargs)
        self.dealer = dealer
        self.fields["agent"].queryset = scope_dealers(dealer)

    def queryset(self, tz):
        d = self.cleaned_data
        # The ledger of the viewer's own dealer unless a sub-agent is chosen: running balances
        # are per dealer, so two dealers' entries never interleave in one column.
        qs = scope_ledger(self.dealer).filter(dealer=d.get("agent") or self.dealer)
        start, end = self.period(tz)
        if start:
            qs = qs.filter(created_at__gte=start)
        if end:
            qs = qs.filter(created_at__lt=end)
        if d.get("kind"):
            qs = qs.filter(kind=d["kind"])
        return qs


class ReportForm(PeriodForm):
    GROUPS = [("day", _("by day")), ("provider", _("by provider")), ("terminal", _("by terminal")),
              ("agent", _("by sub-agent"))]
    group = forms.ChoiceField(label=_("Group"), choices=GROUPS, required=False)

    def period_days(self, tz) -> tuple[date, date]:
        today = timezone.now().astimezone(tz).date()
        lo = self.cleaned_data.get("date_from") or today.replace(day=1)
        hi = self.cleaned_data.get("date_to") or today
        return lo, hi


def filtered_queryset(kind: str, dealer, query: dict, tz):
    """The queryset an export of `kind` reads, from the page's GET parameters (ValueError if invalid)."""
    form_class = {"payments": PaymentFilterForm, "ledger": LedgerFilterForm}[kind]
    form = form_class(query, dealer=dealer)
    if not form.is_valid():
        raise ValueError(f"invalid filter: {form.errors.as_json()}")
    return form.queryset(tz)
