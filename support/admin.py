from django.contrib import admin

from kit.admin_utils import ReadOnlyAdmin
from support.models import ActionRequest, AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only for everyone, superusers included: the audit is append-only."""

    list_display = ["created_at", "user", "action", "payment", "approval"]
    list_filter = ["action"]
    search_fields = ["user__username", "payment__txn", "comment"]
    date_hierarchy = "created_at"


@admin.register(ActionRequest)
class ActionRequestAdmin(admin.ModelAdmin):
    """Read-only: requests are made and decided only on the console's pages (four eyes, audited)."""

    list_display = ["id", "created_at", "action", "payment", "amount", "requested_by", "state", "decided_by"]
    list_filter = ["action", "state"]
    search_fields = ["requested_by__username", "payment__txn", "comment"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
