from django.contrib import admin

from .models import CalendarDay, Claim, Step


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """The production calendar: admins add each year's holidays, moved days off and Saturdays worked."""

    list_display = ["day", "kind", "note"]
    list_filter = ["kind"]
    date_hierarchy = "day"
    search_fields = ["note"]


class StepInline(admin.TabularInline):
    model = Step
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "from_status", "to_status", "user", "comment", "gateway", "reference"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    """Read-only: claims change only through the support pages (services keep their history)."""

    list_display = ["number", "status", "outcome", "received_at", "due_at", "customer_name", "dealer"]
    list_filter = ["status", "outcome"]
    search_fields = ["number", "customer_name", "customer_phone", "cheque_txn"]
    inlines = [StepInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
