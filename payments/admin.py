from django.contrib import admin

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


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdmin):
    list_display = ["attempt_id", "payment", "gateway", "state", "outcome", "result_code", "duration_ms",
                    "started_at"]
    list_filter = ["gateway", "state", "outcome"]
    search_fields = ["=attempt_id", "=upstream_id"]
