"""Cabinet remote commands: queue one for one terminal or several, and see each command's state; download
the kiosk log a `collect_logs` command brought (dealer admins only)."""

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from terminals.commands import CommandError, command_queue
from terminals.logs import log_text
from terminals.models import TerminalAudit, TerminalCommand, TerminalLog

from ..access import access_log, access_terminal, access_terminals, scope_commands, scope_terminals
from .base import cabinet_view

PAGE = 100


class CommandForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Command"), choices=TerminalCommand.Kind.choices)
    release = forms.CharField(label=gettext_lazy("Release (for an update)"), max_length=40, required=False)


def _may_queue(request) -> bool:
    """Dealer admins queue commands; a read-only dealer viewer does not (cabinet_view refuses its POSTs too)."""
    return request.can_change


def may_read_logs(request) -> bool:
    """Kiosk logs are for those who may ask for them: dealer admins, like the commands (a log may show
    accounts typed at the kiosk; a viewer sees the payments, not the kiosk's inside)."""
    return request.can_change


def with_logs(commands: list[TerminalCommand]) -> list[TerminalCommand]:
    """Each command with `log`: the newest bundle it brought (a collect_logs command), or None."""
    ids = [c.pk for c in commands if c.kind == TerminalCommand.Kind.COLLECT_LOGS]
    logs = {}
    for row in TerminalLog.objects.filter(command_id__in=ids).order_by("id").only("pk", "command_id", "size",
                                                                              "truncated", "received_at"):
        logs[row.command_id] = row
    for c in commands:
        c.log = logs.get(c.pk)
    return commands


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
        "commands": with_logs(list(qs.order_by("-id")[:PAGE])),
        "may_queue": _may_queue(request),
        "may_read_logs": may_read_logs(request),
    }, status=status)


@cabinet_view
def log_download(request, pk: int):
    """The bundle's text as a plain-text download; reading it is audited (`log_downloaded`)."""
    if not may_read_logs(request):
        return render(request, "terminals/cabinet_logs_admins_only.html", status=403)
    row = access_log(request.dealer, pk)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    TerminalAudit.objects.create(terminal=row.terminal, action="log_downloaded", user=request.user,
                                 detail={"log": row.pk, "size": row.size})
    response = HttpResponse(log_text(row), content_type="text/plain; charset=utf-8")
    stamp = row.received_at.astimezone(request.tz).strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="kiosk-{row.terminal.number}-{stamp}.log"'
    response["Cache-Control"] = "no-store"
    return response


def _error_text(code: str) -> str:
    return {
        "no_terminals": _("Choose at least one terminal."),
        "release_required": _("An update needs the release to install (up to 40 characters)."),
        "too_many_terminals": _("Too many terminals at once."),
    }.get(code, _("The command was refused."))
