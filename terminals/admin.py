from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .models import EnrollmentCode, Terminal, TerminalState
from .services import enrollment_code_issue


@admin.register(Terminal)
class TerminalAdmin(admin.ModelAdmin):
    list_display = ["number", "dealer", "address", "status", "last_seen", "software_version", "enrolled_at"]
    list_filter = ["status", "dealer"]
    search_fields = ["number", "address"]
    readonly_fields = ["public_key", "enrolled_at", "last_seen", "software_version"]
    filter_horizontal = ["providers"]
    autocomplete_fields = ["dealer"]
    actions = ["issue_enrollment_code"]

    @admin.action(description=_("Issue a one-time enrollment code"))
    def issue_enrollment_code(self, request, queryset):
        for terminal in queryset.order_by("number")[:50]:
            row, code = enrollment_code_issue(terminal=terminal, by=request.user.get_username())
            self.message_user(request, _("Terminal %(number)s: enrollment code %(code)s (valid until %(until)s, once)")
                              % {"number": terminal.number, "code": code,
                                 "until": row.expires_at.strftime("%Y-%m-%d %H:%M %Z")}, messages.SUCCESS)


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
