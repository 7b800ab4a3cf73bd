"""Cabinet terminal pages: live list, terminal page, create, code, block/unblock, providers."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from alerts.selectors import alerts_of_terminal
from providers.models import Provider
from providers.selectors import dealer_allowed_provider_ids
from terminals import services as terminal_services
from terminals.models import Terminal, digits

from ..access import access_terminal, scope_dealers, scope_payments
from ..services import agent_inactive_above
from .base import cabinet_view
from .commands import may_read_logs
from .selectors import terminal_view, terminals_live


def providers_enabled(dealer):
    """The providers `dealer` may offer at its terminals: the active ones within the admins' lists for it
    and every dealer above it (no list: the whole active catalogue)."""
    providers = Provider.objects.filter(is_active=True).order_by("name")
    allowed = dealer_allowed_provider_ids(dealer)
    return providers if allowed is None else providers.filter(pk__in=allowed)


class TerminalCreateForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Number"), max_length=20, validators=[digits])
    address = forms.CharField(label=gettext_lazy("Address"), max_length=255, required=False)
    dealer = forms.ModelChoiceField(label=gettext_lazy("Dealer"), queryset=None)

    def __init__(self, *args, dealer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dealer"].queryset = scope_dealers(dealer)
        self.fields["dealer"].initial = dealer.pk


class ProvidersForm(forms.Form):
    providers = forms.ModelMultipleChoiceField(label=gettext_lazy("Providers offered"), queryset=None,
                                               required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, dealer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["providers"].queryset = providers_enabled(dealer)


class TerminalListForm(forms.Form):
    q = forms.CharField(required=False, max_length=100)
    sort = forms.ChoiceField(required=False, choices=[("number", gettext_lazy("number")),
                                                      ("address", gettext_lazy("address")),
                                                      ("seen", gettext_lazy("last seen")),
                                                      ("dealer", gettext_lazy("dealer"))])
    attention = forms.BooleanField(required=False)


@cabinet_view
def terminal_list(request):
    form = TerminalListForm(request.GET)
    opts = form.cleaned_data if form.is_valid() else {}
    create_form = TerminalCreateForm(dealer=request.dealer)
    if request.method == "POST":
        create_form = TerminalCreateForm(request.POST, dealer=request.dealer)
        if create_form.is_valid():
            try:
                terminal = terminal_services.terminal_create(
                    dealer=create_form.cleaned_data["dealer"], number=create_form.cleaned_data["number"],
                    address=create_form.cleaned_data["address"], by=request.user)
            except terminal_services.TerminalError as exc:
                create_form.add_error("number", str(exc))
            else:
                messages.success(request, _("Terminal %(number)s created.") % {"number": terminal.number})
                return redirect("cabinet:terminal", pk=terminal.pk)
    views = terminals_live(request.dealer, q=opts.get("q") or "", sort=opts.get("sort") or "number",
                           only_attention=bool(opts.get("attention")))
    return render(request, "cabinet/terminals.html", {"form": form, "terminals": views,
                                                      "create_form": create_form})


def _terminal_page(request, terminal, *, code=None, providers_form=None, status=200):
    terminal = Terminal.objects.select_related("dealer", "live").get(pk=terminal.pk)
    view = terminal_view(terminal, timezone.now())
    return render(request, "cabinet/terminal.html", {
        "t": view, "terminal": terminal,
        "payments": scope_payments(request.dealer).filter(terminal=terminal).select_related("provider")
        .order_by("-id")[:20],
        "heartbeats": terminal.heartbeats.order_by("-id")[:100],
        "alerts": alerts_of_terminal(request.dealer, terminal),
        "audit": terminal.audit.select_related("user").order_by("-id")[:20],
        # Kiosk logs: for dealer admins only (None hides the section), as their download.
        "logs": terminal.logs.defer("gzip").order_by("-id")[:20] if may_read_logs(request) else None,
        "code": code,
        "current_code": terminal.enrollment_codes.order_by("-id").first(),
        "providers_form": providers_form or ProvidersForm(
            dealer=terminal.dealer, initial={"providers": list(terminal.providers.values_list("pk", flat=True))}),
    }, status=status)


@cabinet_view
def terminal_detail(request, pk: int):
    terminal = access_terminal(request.dealer, pk)
    return _terminal_page(request, terminal)


@cabinet_view
@require_POST
def terminal_code(request, pk: int):
    terminal = access_terminal(request.dealer, pk)
    row, code = terminal_services.terminal_code_issue(terminal=terminal, by=request.user)
    # Rendered, not redirected: the clear code exists only in this one response.
    response = _terminal_page(request, terminal, code={"code": code, "expires_at": row.expires_at})
    response["Cache-Control"] = "no-store"
    return response


@cabinet_view
@require_POST
def terminal_block(request, pk: int):
    terminal = access_terminal(request.dealer, pk)
    terminal_services.terminal_block(terminal=terminal, by=request.user,
                                     reason=request.POST.get("reason", "")[:200])
    messages.success(request, _("Terminal %(number)s is blocked.") % {"number": terminal.number})
    return redirect("cabinet:terminal", pk=terminal.pk)


@cabinet_view
@require_POST
def terminal_unblock(request, pk: int):
    terminal = access_terminal(request.dealer, pk)
    inactive = agent_inactive_above(terminal.dealer)
    if inactive is not None:
        messages.error(request, _("%(name)s is deactivated: its terminals stay blocked until it is activated again.")
                       % {"name": inactive.name})
        return redirect("cabinet:terminal", pk=terminal.pk)
    terminal_services.terminal_unblock(terminal=terminal, by=request.user)
    messages.success(request, _("Terminal %(number)s is unblocked; its held payments resume.")
                     % {"number": terminal.number})
    return redirect("cabinet:terminal", pk=terminal.pk)


@cabinet_view
@require_POST
def terminal_providers(request, pk: int):
    terminal = access_terminal(request.dealer, pk)
    # The terminal's own dealer: a sub-agent's terminal offers only what that sub-agent may.
    form = ProvidersForm(request.POST, dealer=terminal.dealer)
    if not form.is_valid():
        return _terminal_page(request, terminal, providers_form=form, status=400)
    terminal_services.terminal_providers_set(terminal=terminal, providers=list(form.cleaned_data["providers"]),
                                             by=request.user)
    messages.success(request, _("Providers saved."))
    return redirect("cabinet:terminal", pk=terminal.pk)
