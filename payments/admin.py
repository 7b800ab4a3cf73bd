from django.contrib import admin
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from dealers.cabinet.money import reason_text
from kit.admin_utils import ReadOnlyAdmin, ReadOnlyInline

from .models import Attempt, Event, Payment, Status

OUTCOMES = {
    "ok": _("success"),
    "declined": _("declined"),
    "retry": _("temporary error, tried again"),
    "unknown": _("outcome unknown, status polled"),
    "config": _("configuration error"),
}
OTHER_REASONS = {"rerouted": _("sent to the route's next gateway")}


def status_words(code: str) -> str:
    return str(Status(code).label) if code in Status.values else code or "—"


def reason_words(code: str) -> str:
    if not code:
        return "—"
    return str(OTHER_REASONS[code]) if code in OTHER_REASONS else reason_text(code)


def rows(value) -> str:
    """A JSON value as a small table of key / value rows (a list: one block per item)."""
    if not value:
        return "—"
    if isinstance(value, list):
        return format_html_join("", "<div>{}</div>", ((rows(item),) for item in value))
    if not isinstance(value, dict):
        return str(value)
    return format_html('<div class="kit-rows">{}</div>', format_html_join(
        "", '<div><span class="key">{}:</span> {}</div>',
        ((key, ", ".join(map(str, v)) if isinstance(v, list) else v) for key, v in value.items())))


class EventInline(ReadOnlyInline):
    model = Event
    fields = ["created_at", "transition", "reason_words", "actor", "detail_rows"]
    readonly_fields = fields

    @admin.display(description=_("status change"))
    def transition(self, obj):
        return f"{status_words(obj.from_status)} → {status_words(obj.to_status)}"

    @admin.display(description=_("reason"))
    def reason_words(self, obj):
        return reason_words(obj.reason)

    @admin.display(description=_("detail"))
    def detail_rows(self, obj):
        return rows(obj.detail)


class AttemptInline(ReadOnlyInline):
    model = Attempt
    fields = ["attempt_id", "gateway", "state", "outcome_words", "result_code", "message", "duration_ms",
              "started_at", "finished_at"]
    readonly_fields = fields
    show_change_link = True

    @admin.display(description=_("outcome"))
    def outcome_words(self, obj):
        return OUTCOMES.get(obj.outcome, obj.outcome or "—")


class ReasonFilter(admin.SimpleListFilter):
    title = _("reason")
    parameter_name = "reason"

    def lookups(self, request, model_admin):
        codes = Payment.objects.exclude(reason="").order_by("reason").values_list("reason", flat=True).distinct()
        return [(code, reason_words(code)) for code in codes]

    def queryset(self, request, queryset):
        return queryset.filter(reason=self.value()) if self.value() else queryset


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    # Fits a 1366 px screen with the filters beside it: fee, credited sum and cheque are on the payment's page.
    list_display = ["id", "received", "terminal_number", "txn", "provider_short", "account", "amount",
                    "status", "reason_words"]
    list_display_links = ["id", "txn"]
    list_filter = ["status", ReasonFilter, "provider"]
    search_fields = ["=txn", "=terminal__number", "account", "=cheque_number"]
    date_hierarchy = "received_at"
    list_select_related = ["terminal"]
    inlines = [EventInline, AttemptInline]
    readonly_fields = ["support_console", "reason_words", "flags_words"]
    exclude = ["flags", "reason"]

    @admin.display(description=_("received"), ordering="received_at")
    def received(self, obj):
        return date_format(localtime(obj.received_at), "SHORT_DATETIME_FORMAT")

    @admin.display(description=_("provider"), ordering="provider_code")
    def provider_short(self, obj):
        return obj.provider_code

    @admin.display(description=_("terminal"), ordering="terminal__number")
    def terminal_number(self, obj):
        return obj.terminal.number

    @admin.display(description=_("reason"), ordering="reason")
    def reason_words(self, obj):
        return reason_words(obj.reason)

    @admin.display(description=_("flags"))
    def flags_words(self, obj):
        return ", ".join(obj.flags) if obj.flags else "—"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("terminal", "provider", "gateway", "dealer")

    def view_on_site(self, obj):
        # The admin's "view on site" button opens the payment in the support console.
        return reverse("support:payment", args=[obj.pk])

    @admin.display(description=_("Support console"))
    def support_console(self, obj):
        return format_html('<a href="{}" id="support-console-link">{}</a>', self.view_on_site(obj),
                           _("Open the payment in the support console"))


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdmin):
    list_display = ["attempt_id", "payment", "gateway", "state", "outcome_words", "result_code", "duration_ms",
                    "started_at"]
    list_filter = ["gateway", "state", "outcome"]
    search_fields = ["=attempt_id", "=upstream_id"]
    list_select_related = ["payment__terminal", "gateway"]
    exclude = ["exchange"]
    readonly_fields = ["outcome_words", "exchange_rows"]

    @admin.display(description=_("outcome"), ordering="outcome")
    def outcome_words(self, obj):
        return OUTCOMES.get(obj.outcome, obj.outcome or "—")

    @admin.display(description=_("exchange with the gateway"))
    def exchange_rows(self, obj):
        return rows(obj.exchange)
