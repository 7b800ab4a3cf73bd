from django.contrib import admin

from .models import Alert, AlertChoice


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["code", "dealer", "terminal", "opened_at", "closed_at", "notified_at"]
    list_filter = ["code", "dealer", ("closed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["dealer", "terminal"]
    search_fields = ["terminal__number", "dealer__name"]
    date_hierarchy = "opened_at"
    readonly_fields = ["dealer", "terminal", "subject", "code", "detail", "opened_at", "closed_at", "notified_at"]

    def has_add_permission(self, request):
        return False


@admin.register(AlertChoice)
class AlertChoiceAdmin(admin.ModelAdmin):
    list_display = ["user", "codes"]
    raw_id_fields = ["user"]
