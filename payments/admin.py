from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kit.admin_utils import ReadOnlyAdmin, ReadOnlyInline

from .models import Attempt, Event, Payment


class EventInline(ReadOnlyInline):
    model = Event
    fields = ["created_at", "from_status", "to_status", "reason", "actor", "detail"]
    readonly_fields = fields


class AttemptInline(ReadOnlyInline):
    model = Attempt
    fields = ["attempt_id", "gateway", "state", "outcome", "result_code", "message", "upstream_id",
              "duration_ms", "started_at", "finished_at"]
    readonly_fields = fields


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["id", "terminal", "txn", "provider_code", "account", "amount", "fee", "credited",
                    "status", "reason", "received_at"]
    list_filter = ["status", "reason", "provider"]
    search_fields = ["=txn", "=terminal__number", "account", "=cheque_number"]
    date_hierarchy = "received_at"
    list_select_related = ["terminal"]
    inlines = [EventInline, AttemptInline]
    readonly_fields = ["support_console"]

    def view_on_site(self, obj):
        # The admin's "view on site" button opens the payment in the support console.
        return reverse("support:payment", args=[obj.pk])

    @admin.display(description=_("Support console"))
    def support_console(self, obj):
        return format_html('<a href="{}" id="support-console-link">{}</a>', self.view_on_site(obj),
                           _("Open the payment in the support console"))


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdmin):
    list_display = ["attempt_id", "payment", "gateway", "state", "outcome", "result_code", "duration_ms",
                    "started_at"]
    list_filter = ["gateway", "state", "outcome"]
    search_fields = ["=attempt_id", "=upstream_id"]
