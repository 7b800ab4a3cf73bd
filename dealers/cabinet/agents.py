"""Cabinet sub-agents: the tree with balances and rewards, create and edit, deactivate, reward rates,
users, transfers and low-balance thresholds. Views authorize, parse, read, call one service."""

import uuid
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.validators import RegexValidator
from django.db.models import Q, Sum
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kit.money import ZERO
from providers.models import Provider
from providers.selectors import reward_rates, snapshot_load

from .. import services
from ..access import access_dealer, access_dealer_user, access_subagent, scope_dealers
from ..models import DealerUser, Reward, Transfer
from .base import cabinet_view
from .views import COMMON_ZONES

MONEY = {"max_digits": 14, "decimal_places": 2}


class AgentForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    inn = forms.CharField(label=gettext_lazy("INN"), max_length=12, required=False,
                          validators=[RegexValidator(r"^([0-9]{10}|[0-9]{12})$",
                                                     gettext_lazy("An INN is 10 or 12 digits."))])
    contact = forms.CharField(label=gettext_lazy("Contacts"), max_length=200, required=False)
    support_phone = forms.CharField(label=gettext_lazy("Support phone for cheques"), max_length=32, required=False)
    time_zone = forms.ChoiceField(label=gettext_lazy("Time zone"), choices=[(z, z) for z in COMMON_ZONES],
                                  initial="Europe/Moscow")


class RateForm(forms.Form):
    provider = forms.ModelChoiceField(label=gettext_lazy("Provider"), queryset=Provider.objects.order_by("name"))
    percent = forms.DecimalField(label=gettext_lazy("Percent"), max_digits=6, decimal_places=3, min_value=0,
                                 max_value=100)
    fixed = forms.DecimalField(label=gettext_lazy("Fixed part, RUB"), min_value=0, required=False, **MONEY)


class UserForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Login"), max_length=150, validators=[UnicodeUsernameValidator()])
    email = forms.EmailField(label=gettext_lazy("E-mail (low-balance alerts)"), required=False)
    password = forms.CharField(label=gettext_lazy("Password"), widget=forms.PasswordInput, strip=False)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=DealerUser.Role.choices)

    def clean_password(self):
        password = self.cleaned_data["password"]
        password_validation.validate_password(password)
        return password


class TransferForm(forms.Form):
    direction = forms.ChoiceField(label=gettext_lazy("Direction"), choices=[
        ("to", gettext_lazy("to the sub-agent")), ("from", gettext_lazy("back from the sub-agent"))])
    amount = forms.DecimalField(label=gettext_lazy("Amount, RUB"), min_value=Decimal("0.01"), **MONEY)
    comment = forms.CharField(label=gettext_lazy("Comment"), max_length=200, required=False)
    key = forms.UUIDField(widget=forms.HiddenInput)


class ThresholdForm(forms.Form):
    threshold = forms.DecimalField(label=gettext_lazy("Alert when the available balance is below, RUB"),
                                   min_value=0, **MONEY)


def _tree(dealer):
    """The subtree in path order with each dealer's depth below the viewer, accrued and credited rewards."""
    month_start = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    dealers = list(scope_dealers(dealer).order_by("path"))
    ids = [d.pk for d in dealers]
    accrued = dict(Reward.objects.filter(dealer_id__in=ids, state=Reward.State.ACCRUED).order_by()
                   .values("dealer_id").annotate(s=Sum("amount")).values_list("dealer_id", "s"))
    settled = dict(Reward.objects.filter(dealer_id__in=ids, state=Reward.State.SETTLED,
                                         settled_at__gte=month_start).order_by()
                   .values("dealer_id").annotate(s=Sum("amount")).values_list("dealer_id", "s"))
    base = dealer.path.count("/")
    return [{"dealer": d, "depth": d.path.count("/") - base,
             "accrued": accrued.get(d.pk) or ZERO, "settled": settled.get(d.pk) or ZERO} for d in dealers]


def _rates(agent):
    """Per provider: the parent's effective rate now, the agent's own rule and its effective (capped) rate."""
    now = timezone.now()
    snap = snapshot_load()
    rows = []
    for provider in Provider.objects.filter(is_active=True).order_by("name"):
        chain = reward_rates(provider_id=provider.pk, dealer=agent, at=now, snap=snap)
        own = next((r for r in snap.reward_rules.get(provider.pk, []) if r.dealer_id == agent.pk
                    and r.valid_from <= now and (r.valid_to is None or r.valid_to > now)), None)
        rows.append({"provider": provider, "parent": chain[-2][1], "own": own, "effective": chain[-1][1],
                     "capped": own is not None and chain[-1][1] is not None
                     and (chain[-1][1].percent < own.percent or chain[-1][1].fixed < own.fixed)})
    return rows


@cabinet_view
def agent_list(request):
    form = AgentForm()
    if request.method == "POST":
        form = AgentForm(request.POST)
        if form.is_valid():
            agent = services.agent_create(parent=request.dealer, by=request.user, **form.cleaned_data)
            messages.success(request, _("Sub-agent %(name)s created.") % {"name": agent.name})
            return redirect("cabinet:agent", pk=agent.pk)
    return render(request, "cabinet/agents.html", {
        "tree": _tree(request.dealer), "form": form,
        "threshold_form": _threshold_form(request.dealer),
    }, status=400 if form.errors else 200)


def _threshold_form(dealer):
    """The threshold in force: the dealer's own, else the site's default (KIT_ALERT_BALANCE_THRESHOLD); 0 is off."""
    return ThresholdForm(initial={"threshold": services.balance_threshold(dealer) or ZERO})


def _agent_page(request, agent, *, status=200, **forms_):
    edit = AgentForm(initial={k: getattr(agent, k) for k in services.AGENT_FIELDS})
    return render(request, "cabinet/agent.html", {
        "agent": agent, "parent": agent.parent,
        "available": agent.balance + agent.credit_limit,
        "edit_form": forms_.get("edit_form") or edit,
        "rate_form": forms_.get("rate_form") or RateForm(),
        "user_form": forms_.get("user_form") or UserForm(),
        "transfer_form": forms_.get("transfer_form") or TransferForm(initial={"key": uuid.uuid4(), "direction": "to"}),
        "threshold_form": forms_.get("threshold_form") or _threshold_form(agent),
        "rates": _rates(agent),
        "users": DealerUser.objects.filter(dealer=agent).select_related("user").order_by("user__username"),
        "transfers": Transfer.objects.filter(Q(source=agent) | Q(target=agent)).select_related(
            "source", "target", "created_by").order_by("-id")[:10],
        "accrued": Reward.objects.filter(dealer=agent, state=Reward.State.ACCRUED).aggregate(s=Sum("amount"))["s"]
        or ZERO,
        "sub_agents": agent.children.order_by("name"),
    }, status=status)


@cabinet_view
def agent_detail(request, pk: int):
    return _agent_page(request, access_subagent(request.dealer, pk))


@cabinet_view
@require_POST
def agent_edit(request, pk: int):
    agent = access_subagent(request.dealer, pk)
    form = AgentForm(request.POST)
    if not form.is_valid():
        return _agent_page(request, agent, edit_form=form, status=400)
    services.agent_update(agent=agent, by=request.user, **form.cleaned_data)
    messages.success(request, _("Saved."))
    return redirect("cabinet:agent", pk=agent.pk)


@cabinet_view
@require_POST
def agent_deactivate(request, pk: int):
    agent = access_subagent(request.dealer, pk)
    services.agent_set_active(agent=agent, active=False, by=request.user)
    messages.success(request, _("%(name)s is deactivated: its terminals are blocked and their payments wait.")
                     % {"name": agent.name})
    return redirect("cabinet:agent", pk=agent.pk)


@cabinet_view
@require_POST
def agent_activate(request, pk: int):
    agent = access_subagent(request.dealer, pk)
    services.agent_set_active(agent=agent, active=True, by=request.user)
    messages.success(request, _("%(name)s is active again; its held payments resume.") % {"name": agent.name})
    return redirect("cabinet:agent", pk=agent.pk)


@cabinet_view
@require_POST
def agent_rate(request, pk: int):
    agent = access_subagent(request.dealer, pk)
    form = RateForm(request.POST)
    if form.is_valid():
        try:
            services.agent_rate_set(agent=agent, provider=form.cleaned_data["provider"],
                                    percent=form.cleaned_data["percent"], fixed=form.cleaned_data["fixed"] or ZERO,
                                    by=request.user)
        except services.DealerError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Reward rate saved."))
            return redirect("cabinet:agent", pk=agent.pk)
    return _agent_page(request, agent, rate_form=form, status=400)


@cabinet_view
@require_POST
def agent_user_create(request, pk: int):
    agent = access_subagent(request.dealer, pk)
    form = UserForm(request.POST)
    if form.is_valid():
        try:
            services.dealer_user_create(dealer=agent, by=request.user, **form.cleaned_data)
        except services.DealerError as exc:
            form.add_error("username", str(exc))
        else:
            messages.success(request, _("User %(name)s created.") % {"name": form.cleaned_data["username"]})
            return redirect("cabinet:agent", pk=agent.pk)
    return _agent_page(request, agent, user_form=form, status=400)


@cabinet_view
@require_POST
def agent_user_deactivate(request, pk: int):
    link = access_dealer_user(request.dealer, pk)
    services.dealer_user_set_active(link=link, active=False, by=request.user)
    messages.success(request, _("User %(name)s can no longer log in.") % {"name": link.user.username})
    return redirect("cabinet:agent", pk=link.dealer_id)


@cabinet_view
@require_POST
def agent_user_activate(request, pk: int):
    link = access_dealer_user(request.dealer, pk)
    services.dealer_user_set_active(link=link, active=True, by=request.user)
    messages.success(request, _("User %(name)s can log in again.") % {"name": link.user.username})
    return redirect("cabinet:agent", pk=link.dealer_id)


@cabinet_view
@require_POST
def agent_transfer(request, pk: int):
    agent = access_subagent(request.dealer, pk)
    form = TransferForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            transfer = services.transfer_make(dealer=request.dealer, agent_id=agent.pk, amount=d["amount"],
                                              direction=d["direction"], key=d["key"], comment=d["comment"],
                                              by=request.user)
        except services.DealerError as exc:
            form.add_error("amount", str(exc))
        else:
            messages.success(request, _("Transferred %(amount)s RUB from %(source)s to %(target)s.") % {
                "amount": number_format(transfer.amount, 2, use_l10n=True, force_grouping=True), "source": transfer.source.name, "target": transfer.target.name})
            return redirect("cabinet:agent", pk=agent.pk)
    # A refused form gets a fresh key: the next submit is a new transfer.
    data = request.POST.copy()
    data["key"] = str(uuid.uuid4())
    form.data = data
    return _agent_page(request, agent, transfer_form=form, status=400)


@cabinet_view
@require_POST
def dealer_threshold(request, pk: int):
    dealer = access_dealer(request.dealer, pk)
    form = ThresholdForm(request.POST)
    if form.is_valid():
        services.balance_alert_set(dealer=dealer, threshold=form.cleaned_data["threshold"], by=request.user)
        messages.success(request, _("Alert threshold saved."))
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    if dealer.pk == request.dealer.pk:
        return redirect("cabinet:agents")
    return redirect("cabinet:agent", pk=dealer.pk)

