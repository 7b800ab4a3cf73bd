from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kit.admin_utils import ReadOnlyAdmin

from .commands import CommandError, command_args, command_queue
from .logs import log_text
from .models import (
    Encashment,
    EncashmentTxn,
    EnrollmentCode,
    Terminal,
    TerminalCommand,
    TerminalLog,
    TerminalState,
)
from .services import enrollment_code_issue


@admin.register(Terminal)
class TerminalAdmin(admin.ModelAdmin):
    list_display = ["number", "dealer", "address", "status", "last_seen", "software_version", "enrolled_at"]
    list_filter = ["status", "dealer"]
    search_fields = ["number", "address"]
    readonly_fields = ["public_key", "enrolled_at", "last_seen", "software_version"]
    filter_horizontal = ["providers"]
    autocomplete_fields = ["dealer"]
    actions = ["issue_enrollment_code", "command_restart", "command_resend_queue", "command_refresh_config",
               "command_print_test", "command_collect_logs"]

    @admin.action(description=_("Issue a one-time enrollment code"))
    def issue_enrollment_code(self, request, queryset):
        for terminal in queryset.order_by("number")[:50]:
            row, code = enrollment_code_issue(terminal=terminal, by=request.user.get_username())
            self.message_user(request, _("Terminal %(number)s: enrollment code %(code)s (valid until %(until)s, once)")
                              % {"number": terminal.number, "code": code,
                                 "until": row.expires_at.strftime("%Y-%m-%d %H:%M %Z")}, messages.SUCCESS)


    def _queue(self, request, queryset, kind):
        rows = command_queue(terminals=queryset.order_by("number")[:500], kind=kind, by=request.user)
        self.message_user(request, _("%(kind)s queued for %(count)s terminal(s).")
                          % {"kind": TerminalCommand.Kind(kind).label, "count": len(rows)}, messages.SUCCESS)

    @admin.action(description=_("Command: restart the kiosk program"))
    def command_restart(self, request, queryset):
        self._queue(request, queryset, TerminalCommand.Kind.RESTART)

    @admin.action(description=_("Command: resend the payment queue"))
    def command_resend_queue(self, request, queryset):
        self._queue(request, queryset, TerminalCommand.Kind.RESEND_QUEUE)

    @admin.action(description=_("Command: refresh the config"))
    def command_refresh_config(self, request, queryset):
        self._queue(request, queryset, TerminalCommand.Kind.REFRESH_CONFIG)

    @admin.action(description=_("Command: print a test page"))
    def command_print_test(self, request, queryset):
        self._queue(request, queryset, TerminalCommand.Kind.PRINT_TEST)

    @admin.action(description=_("Command: collect the logs"))
    def command_collect_logs(self, request, queryset):
        self._queue(request, queryset, TerminalCommand.Kind.COLLECT_LOGS)


@admin.register(EnrollmentCode)
class EnrollmentCodeAdmin(admin.ModelAdmin):
    list_display = ["terminal", "created_at", "created_by", "expires_at", "used_at", "failures"]
    list_select_related = ["terminal"]
    readonly_fields = ["terminal", "code_hash", "expires_at", "used_at", "failures", "created_by", "created_at"]

    def has_add_permission(self, request):
        return False  # codes are issued by the action on terminals: the clear code is shown once


@admin.register(TerminalState)
class TerminalStateAdmin(admin.ModelAdmin):
    list_display = ["terminal", "reported_at", "software_version", "cash_notes", "cash_amount", "queue_count"]
    list_select_related = ["terminal"]
    # Everything here is what the terminal reported: nobody edits it by hand.
    readonly_fields = ["terminal", "devices", "cash_notes", "cash_amount", "cash_by_denomination",
                       "cassette_capacity", "queue_count", "queue_oldest_at", "rejected", "software_version",
                       "reported_at"]


class EncashmentTxnInline(admin.TabularInline):
    model = EncashmentTxn
    fields = ["txn", "payment", "linked_at"]
    readonly_fields = fields
    raw_id_fields = ["payment"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Encashment)
class EncashmentAdmin(admin.ModelAdmin):
    """Read-only: encashments come from kiosks; the bank's count is entered in the cabinet."""

    list_display = ["id", "terminal", "closed_at", "notes_count", "total", "counted_amount", "received_at"]
    list_select_related = ["terminal"]
    list_filter = ["closed_at"]
    search_fields = ["terminal__number", "kiosk_id"]
    inlines = [EncashmentTxnInline]
    readonly_fields = ["terminal", "kiosk_id", "opened_at", "closed_at", "notes", "notes_count", "total",
                       "content_hash", "counted_amount", "counted_by", "counted_at", "received_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CommandAddForm(forms.ModelForm):
    release = forms.CharField(label=_("Release (for an update)"), max_length=40, required=False)

    class Meta:
        model = TerminalCommand
        fields = ["terminal", "kind"]

    def clean(self):
        data = super().clean()
        try:
            command_args(data.get("kind", ""), release=data.get("release", ""))
        except CommandError as exc:
            raise forms.ValidationError(str(exc)) from None
        return data


@admin.register(TerminalCommand)
class TerminalCommandAdmin(admin.ModelAdmin):
    """Commands and their states; a new one is queued through the same service as the cabinet's."""

    list_display = ["id", "terminal", "kind", "state", "created_by", "created_at", "delivered_at", "deliveries",
                    "finished_at", "message", "log"]
    list_select_related = ["terminal", "created_by"]
    list_filter = ["state", "kind"]
    search_fields = ["terminal__number"]
    autocomplete_fields = ["terminal"]
    readonly_fields = ["terminal", "kind", "args", "state", "created_by", "created_at", "expires_at",
                       "delivered_at", "deliveries", "finished_at", "message"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(log_id=Max("logs__id"))

    @admin.display(description=_("kiosk log"))
    def log(self, obj):
        """The bundle a collect_logs command brought, linked to its page."""
        if not getattr(obj, "log_id", None):
            return "—"
        return format_html('<a href="{}">№ {}</a>', reverse("admin:terminals_terminallog_change", args=[obj.log_id]),
                           obj.log_id)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = CommandAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        return ["terminal", "kind", "release"] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return
        [row] = command_queue(terminals=[form.cleaned_data["terminal"]], kind=form.cleaned_data["kind"],
                              release=form.cleaned_data.get("release", ""), by=request.user)
        obj.pk = row.pk
        obj.refresh_from_db()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TerminalLog)
class TerminalLogAdmin(ReadOnlyAdmin):
    """Read-only: bundles come from kiosks (POST /logs); the text is shown (its end) and downloadable."""

    list_display = ["id", "terminal", "received_at", "size", "lines", "truncated", "command"]
    list_select_related = ["terminal", "command"]
    list_filter = ["received_at", "truncated"]
    search_fields = ["terminal__number", "kiosk_id"]
    fields = ["terminal", "command", "kiosk_id", "received_at", "size", "lines", "truncated", "sha256", "download",
              "text_end"]
    readonly_fields = fields
    TAIL_LINES = 300

    def get_queryset(self, request):
        return super().get_queryset(request).defer("gzip")  # read only where the text is shown

    def get_urls(self):
        return [path("<int:pk>/download/", self.admin_site.admin_view(self.download_view),
                     name="terminals_terminallog_download"), *super().get_urls()]

    def download_view(self, request, pk):
        row = get_object_or_404(TerminalLog.objects.select_related("terminal"), pk=pk)
        if not self.has_view_permission(request, row):
            raise PermissionDenied
        response = HttpResponse(log_text(row), content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = (f'attachment; filename="kiosk-{row.terminal.number}-'
                                           f'{row.received_at:%Y%m%d-%H%M%S}.log"')
        response["Cache-Control"] = "no-store"
        return response

    @admin.display(description=_("download"))
    def download(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:terminals_terminallog_download", args=[obj.pk]),
                           _("the whole text (.log)"))

    @admin.display(description=_("the end of the text"))
    def text_end(self, obj):
        lines = log_text(obj).splitlines()[-self.TAIL_LINES:]
        return format_html('<pre style="white-space: pre-wrap; max-height: 40em; overflow: auto">{}</pre>',
                           "\n".join(lines))
