"""Cabinet pages: overview and account. Views authorize, parse, read, call one service."""

import zoneinfo
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alerts.forms import AlertChoiceForm
from alerts.selectors import alerts_open
from alerts.services import alert_choice_set

from ..aggregates import report_build
from ..services import dealer_user_settings_set
from .base import cabinet_view
from .charts import Bar, bar_chart
from .selectors import held_for_balance, terminals_live

COMMON_ZONES = ["Europe/Kaliningrad", "Europe/Moscow", "Europe/Samara", "Asia/Yekaterinburg", "Asia/Omsk",
                "Asia/Novosibirsk", "Asia/Krasnoyarsk", "Asia/Irkutsk", "Asia/Yakutsk", "Asia/Vladivostok",
                "Asia/Magadan", "Asia/Kamchatka", "UTC"]


def day_series(report, days: list) -> list[tuple]:
    """(day, totals or None) for every day, zero days included."""
    by_day = dict(report.rows)
    return [(d, by_day.get(d)) for d in days]


def turnover_chart(rows: list[tuple], caption: str) -> str:
    bars = [Bar(label=d.strftime("%d"), value=t.amount if t else 0,
                title=f"{d:%d.%m}: {t.amount if t else 0}") for d, t in rows]
    return bar_chart(bars, caption=caption)


@cabinet_view
def overview(request):
    dealer = request.dealer
    today = timezone.now().astimezone(request.tz).date()
    month = report_build(dealer=dealer, date_from=today.replace(day=1), date_to=today, group="day")
    today_totals = dict(month.rows).get(today)
    first = today - timedelta(days=29)
    days = [first + timedelta(days=i) for i in range(30)]
    last30 = day_series(report_build(dealer=dealer, date_from=first, date_to=today, group="day"), days)
    return render(request, "cabinet/overview.html", {
        "dealer": dealer,
        "available": dealer.balance + dealer.credit_limit,
        "today": today_totals, "month": month.total,
        "attention": terminals_live(dealer, only_attention=True),
        "open_alerts": alerts_open(dealer),
        "held": held_for_balance(dealer),
        "subagents": dealer.children.order_by("name"),
        "chart": turnover_chart(last30, _("Turnover by day, last 30 days")),
        "chart_rows": last30,
    })


class AccountForm(forms.Form):
    time_zone = forms.ChoiceField(label=gettext_lazy("Time zone"), choices=[])
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=settings.LANGUAGES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(z, z) for z in COMMON_ZONES]

    def clean_time_zone(self):
        zone = self.cleaned_data["time_zone"]
        if zone not in zoneinfo.available_timezones():
            raise forms.ValidationError(_("Unknown time zone."))
        return zone


@cabinet_view(viewer_may_post=True)
def account(request):
    link = request.dealer_link
    settings_form = AccountForm(initial={"time_zone": link.time_zone or link.dealer.time_zone,
                                         "language": link.language or translation.get_language()})
    password_form = PasswordChangeForm(request.user)
    alerts_form = AlertChoiceForm.for_user(request.user)
    if request.method == "POST" and request.POST.get("form") == "alerts":
        alerts_form = AlertChoiceForm.for_user(request.user, request.POST)
        if alerts_form.is_valid():
            alert_choice_set(user=request.user, codes=alerts_form.cleaned_data["codes"])
            messages.success(request, _("Alert choices saved."))
            return redirect("cabinet:account")
    elif request.method == "POST" and request.POST.get("form") == "settings":
        settings_form = AccountForm(request.POST)
        if settings_form.is_valid():
            dealer_user_settings_set(link=link, **settings_form.cleaned_data)
            translation.activate(settings_form.cleaned_data["language"])
            messages.success(request, _("Settings saved."))
            response = redirect("cabinet:account")
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, settings_form.cleaned_data["language"],
                                samesite="Lax")
            return response
    elif request.method == "POST" and request.POST.get("form") == "password":
        password_form = PasswordChangeForm(request.user, request.POST)
        if password_form.is_valid():
            user = password_form.save()
            update_session_auth_hash(request, user)
            messages.success(request, _("Password changed."))
            return redirect("cabinet:account")
    return render(request, "cabinet/account.html", {"settings_form": settings_form,
                                                    "password_form": password_form,
                                                    "alerts_form": alerts_form})
