from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kit.admin_utils import ReadOnlyAdmin

from .models import Discrepancy, Reconciliation, ReconciliationEvent, RegistryUpload


@admin.register(Reconciliation)
class ReconciliationAdmin(ReadOnlyAdmin):
    """Read-only here: runs, uploads and resolutions happen on the reconciliation pages (audited)."""

    list_display = ["day", "gateway", "status", "their_count", "our_count", "matched_count", "open_count",
                    "run_at", "page"]
    list_filter = ["status", "gateway"]
    date_hierarchy = "day"
    list_select_related = ["gateway"]

    @admin.display(description=_("page"))
    def page(self, obj):
        url = reverse("reconcile:day", args=[obj.gateway.code, obj.day.isoformat()])
        return format_html('<a href="{}">{}</a>', url, _("open page"))


@admin.register(Discrepancy)
class DiscrepancyAdmin(ReadOnlyAdmin):
    list_display = ["reconciliation", "kind", "key", "account", "our_amount", "our_status", "their_amount",
                    "their_status", "state", "resolved_by", "resolved_at"]
    list_filter = ["kind", "state", "reconciliation__gateway"]
    search_fields = ["key", "account", "upstream_id"]
    list_select_related = ["reconciliation__gateway", "resolved_by"]


@admin.register(RegistryUpload)
class RegistryUploadAdmin(ReadOnlyAdmin):
    list_display = ["day", "gateway", "filename", "rows", "uploaded_by", "uploaded_at"]
    list_filter = ["gateway"]
    exclude = ["content"]


@admin.register(ReconciliationEvent)
class ReconciliationEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "reconciliation", "kind", "actor", "discrepancy", "note"]
    list_filter = ["kind"]
    list_select_related = ["reconciliation__gateway", "discrepancy"]
