"""The console's forms: what an operator types is checked here; a bad value is a form error, never a 500."""

from datetime import date, datetime, time, timedelta

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer
from gateways.models import Gateway
from providers.models import Provider

from .reasons import reason_text
from .selectors import QUEUE_PROCESSING_REASONS, AuditFilter, QueueFilter

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]
digits = RegexValidator(r"^[0-9]+$", _("Digits only."), code="digits")


def day_start(day: date, tz) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def _date(label):
    return forms.DateField(label=label, required=False, widget=DATE_INPUT, input_formats=DATE_FORMATS,
                           error_messages={"invalid": _("Enter a real date, e.g. 2026-03-15.")})


class SearchForm(forms.Form):
    """The one search box."""

    q = forms.CharField(label=_("Search"), max_length=100, required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("1001/42, cheque, attempt id, phone"),
                                                      "autofocus": True, "inputmode": "search"}))


class ChequeForm(forms.Form):
    """The keys printed on a cheque; one complete key is enough."""

    terminal = forms.CharField(label=_("Terminal"), max_length=20, required=False, validators=[digits],
                               widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    txn = forms.CharField(label=_("Transaction number"), max_length=20, required=False)
    cheque = forms.CharField(label=_("Cheque number"), max_length=48, required=False)
    attempt = forms.CharField(label=_("Attempt id or gateway's transaction id"), max_length=64, required=False)
    account = forms.CharField(label=_("Account or phone"), max_length=64, required=False)
    date_from = _date(_("From"))
    date_to = _date(_("To"))
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, min_value=0, required=False,
                                localize=True,
                                error_messages={"invalid": _("Enter the amount as on the cheque, e.g. 500.00.")})
    date = _date(_("Date"))

    KEYS = ("terminal_txn", "cheque", "attempt", "account", "amount")

    def clean(self):
        d = super().clean()
        if self.errors:
            return d
        for name in ("txn", "cheque", "attempt", "account"):
            d[name] = (d.get(name) or "").strip()
        lo, hi = d.get("date_from"), d.get("date_to")
        if lo and hi and lo > hi:
            raise forms.ValidationError(_("The period ends before it starts."))
        if d.get("terminal") and d.get("txn"):
            d["key"] = "terminal_txn"
        elif d.get("cheque"):
            d["key"] = "cheque"
        elif d.get("attempt"):
            d["key"] = "attempt"
        elif d.get("account"):
            d["key"] = "account"
        elif d.get("terminal") and d.get("amount") is not None and d.get("date"):
            d["key"] = "amount"
        elif d.get("txn"):
            self.add_error("terminal", _("Enter the terminal number printed next to the transaction number."))
        elif d.get("terminal") or d.get("amount") is not None or d.get("date"):
            raise forms.ValidationError(_("To search by amount, enter the terminal, the amount and the date."))
        else:
            raise forms.ValidationError(_("Enter the terminal and transaction numbers, or another key "
                                          "from the cheque."))
        return d

    def period(self, tz) -> tuple[datetime | None, datetime | None]:
        lo, hi = self.cleaned_data.get("date_from"), self.cleaned_data.get("date_to")
        return (day_start(lo, tz) if lo else None, day_start(hi + timedelta(days=1), tz) if hi else None)

    def day(self, tz) -> tuple[datetime, datetime]:
        start = day_start(self.cleaned_data["date"], tz)
        return start, start + timedelta(days=1)


AGES = [("", "—"), ("1h", _("over an hour")), ("24h", _("over a day")), ("3d", _("over 3 days")),
        ("7d", _("over a week"))]
AGE_DELTAS = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "3d": timedelta(days=3), "7d": timedelta(days=7)}


def queue_reason_choices():
    from payments.errors import Reason

    failed_or_held = [r for r in Reason if r not in QUEUE_PROCESSING_REASONS]
    return [("", "—"), *((str(r), reason_text(r)) for r in [*failed_or_held, *QUEUE_PROCESSING_REASONS])]


class QueueFilterForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), required=False, choices=queue_reason_choices)
    gateway = forms.ModelChoiceField(label=_("Gateway"), required=False, queryset=Gateway.objects.only("id", "name").order_by("name"),
                                     empty_label="—")
    provider = forms.ModelChoiceField(label=_("Provider"), required=False,
                                      queryset=Provider.objects.order_by("name"), empty_label="—")
    dealer = forms.ModelChoiceField(label=_("Dealer"), required=False, queryset=Dealer.objects.order_by("name"),
                                    empty_label="—")
    age = forms.ChoiceField(label=_("Waiting"), required=False, choices=AGES)

    def queue_filter(self, now: datetime) -> QueueFilter:
        d = self.cleaned_data
        age = d.get("age")
        return QueueFilter(
            reason=d.get("reason") or "",
            gateway_id=d["gateway"].pk if d.get("gateway") else None,
            provider_id=d["provider"].pk if d.get("provider") else None,
            dealer_id=d["dealer"].pk if d.get("dealer") else None,
            older_than=now - AGE_DELTAS[age] if age else None,
        )


class AuditFilterForm(forms.Form):
    operator = forms.CharField(label=_("Operator"), max_length=150, required=False)
    action = forms.CharField(label=_("Action"), max_length=32, required=False)
    date_from = _date(_("From"))
    date_to = _date(_("To"))
    payment = forms.IntegerField(label=_("Payment id"), required=False, min_value=1,
                                 error_messages={"invalid": _("Enter the payment's number (digits).")})

    def clean(self):
        d = super().clean()
        lo, hi = d.get("date_from"), d.get("date_to")
        if lo and hi and lo > hi:
            raise forms.ValidationError(_("The period ends before it starts."))
        return d

    def audit_filter(self, tz) -> AuditFilter:
        from django.contrib.auth import get_user_model

        d = self.cleaned_data
        user_id = None
        if d.get("operator"):
            user_id = (get_user_model().objects.filter(username=d["operator"].strip())
                       .values_list("pk", flat=True).first()) or -1
        lo, hi = d.get("date_from"), d.get("date_to")
        return AuditFilter(user_id=user_id, action=(d.get("action") or "").strip(),
                           start=day_start(lo, tz) if lo else None,
                           end=day_start(hi + timedelta(days=1), tz) if hi else None,
                           payment_id=d.get("payment"))
