"""Cabinet remote commands: queue one for one terminal or several, and see each command's state."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from terminals.commands import CommandError, command_queue
from terminals.models import TerminalCommand

from ..access import access_terminal, access_terminals, scope_commands, scope_terminals
from .base import cabinet_view

PAGE = 100


class CommandForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Command"), choices=TerminalCommand.Kind.choices)
    release = forms.CharField(label=gettext_lazy("Release (for an update)"), max_length=40, required=False)


def _may_queue(request) -> bool:
    """Dealer admins queue commands; a read-only dealer viewer does not (cabinet_view refuses its POSTs too)."""
    return request.can_change


@cabinet_view
def command_list(request):
    terminal = None
    if request.GET.get("terminal"):
        raw = request.GET["terminal"]
        terminal = access_terminal(request.dealer, int(raw) if raw.isdigit() and len(raw) <= 18 else 0)
    form = CommandForm()
    chosen = {str(terminal.pk)} if terminal else set()
    status = 200
    if request.method == "POST":
        if not _may_queue(request):
            return render(request, "cabinet/no_dealer.html", status=403)
        ids = request.POST.getlist("terminals")
        targets = access_terminals(request.dealer, ids)
        chosen = set(ids)
        form = CommandForm(request.POST)
        if form.is_valid():
            try:
                rows = command_queue(terminals=targets, kind=form.cleaned_data["kind"],
                                     release=form.cleaned_data["release"], by=request.user)
            except CommandError as exc:
                form.add_error("release" if exc.code == "release_required" else None, _error_text(exc.code))
            else:
                messages.success(request, _("Command queued for %(count)s terminal(s); each gets it with its next "
                                            "heartbeat.") % {"count": len(rows)})
                return redirect(f"{request.path}?terminal={targets[0].pk}" if len(targets) == 1 else request.path)
        status = 400
    qs = scope_commands(request.dealer).select_related("terminal", "created_by")
    if terminal is not None:
        qs = qs.filter(terminal=terminal)
    return render(request, "terminals/cabinet_commands.html", {
        "form": form, "terminal": terminal, "chosen": chosen,
        "terminals": scope_terminals(request.dealer).order_by("number").only("pk", "number", "address"),
        "commands": list(qs.order_by("-id")[:PAGE]),
        "may_queue": _may_queue(request),
    }, status=status)


def _error_text(code: str) -> str:
    return {
        "no_terminals": _("Choose at least one terminal."),
        "release_required": _("An update needs the release to install (up to 40 characters)."),
        "too_many_terminals": _("Too many terminals at once."),
    }.get(code, _("The command was refused."))
